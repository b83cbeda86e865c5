# usage.awk - a few hundred usage events for the demo, as NDJSON: five users
# register, then call two models over the last six weeks, mostly in
# working hours, with a few errors.  Deterministic (fixed seed) for a given
# NOW (unix seconds), so a demo run is reproducible.
BEGIN {
	srand(42)
	split("qwen-image-edit gemini-flash-image", models, " ")
	split("5 3", credits, " ")
	nusers = 5
	for (u = 1; u <= nusers; u++) {
		t = NOW - 45 * 86400 + u * 3600
		printf "{\"id\":\"evt_reg_%d\",\"type\":\"user.registered\",\"occurred_at\":\"%s\",\"user\":{\"id\":\"u_%d\",\"email\":\"user%d@example.com\"}}\n", u, iso(t), u, u
	}
	for (i = 1; i <= N; i++) {
		# spread over 42 days, hours 08..20 mostly
		day = int(rand() * 42)
		hour = 8 + int(rand() * 12)
		if (rand() < 0.1)
			hour = int(rand() * 24)
		t = NOW - (day + 1) * 86400 + hour * 3600 + int(rand() * 3600)
		t = t - (t % 86400) + hour * 3600 + int(rand() * 3600)
		m = rand() < 0.6 ? 1 : 2
		u = 1 + int(rand() * nusers)
		kind = (m == 1 || rand() < 0.3) ? "edit" : "generate"
		dur = m == 1 ? 6000 + int(rand() * 6000) : 1500 + int(rand() * 2500)
		if (rand() < 0.05) {
			printf "{\"id\":\"evt_use_%d\",\"type\":\"usage.recorded\",\"occurred_at\":\"%s\",\"user\":{\"id\":\"u_%d\"},\"model\":\"%s\",\"kind\":\"%s\",\"duration_ms\":%d,\"credits\":0,\"status\":\"error\",\"error\":\"timeout\"}\n", i, iso(t), u, models[m], kind, dur * 3
		} else {
			printf "{\"id\":\"evt_use_%d\",\"type\":\"usage.recorded\",\"occurred_at\":\"%s\",\"user\":{\"id\":\"u_%d\"},\"model\":\"%s\",\"kind\":\"%s\",\"duration_ms\":%d,\"credits\":%d,\"status\":\"ok\"}\n", i, iso(t), u, models[m], kind, dur, credits[m]
		}
	}
}
function iso(t,    d, y, mo, da, s, z, era, doe, yoe, doy, mp) {
	# civil-from-days (Howard Hinnant), so awk needs no strftime
	d = int(t / 86400); s = t - d * 86400
	z = d + 719468
	era = int(z / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	da = doy - int((153 * mp + 2) / 5) + 1
	mo = mp < 10 ? mp + 3 : mp - 9
	if (mo <= 2) y++
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, da, int(s / 3600), int(s % 3600 / 60), s % 60)
}
