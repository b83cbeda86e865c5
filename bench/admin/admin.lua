-- admin.lua - wrk script for bench/admin.sh: with BENCH_MODE=list, GET one
-- page of 50 accounts; with BENCH_MODE=extend, POST an extend of one day
-- to a random assignment among 1..BENCH_ASSIGNMENTS.  Every request
-- carries the bearer token in BENCH_TOKEN.
local mode, token, n

function init(args)
	mode = os.getenv("BENCH_MODE") or "list"
	token = os.getenv("BENCH_TOKEN")
	n = tonumber(os.getenv("BENCH_ASSIGNMENTS") or "1")
	math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
	local h = { ["Authorization"] = "Bearer " .. token }
	if mode == "list" then
		return wrk.format("GET",
			"/api/admin/chatgpt-accounts?page=1&per_page=50", h)
	end
	h["Content-Type"] = "application/json"
	return wrk.format("POST", "/api/admin/account-assignments/" ..
		math.random(1, n) .. "/extend", h, '{"additional_days": 1}')
end

function done(summary, latency, requests)
	io.write(string.format("LAT p50=%.3f p99=%.3f\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
	io.write(string.format("NON2XX %d\n", summary.errors.status))
end
