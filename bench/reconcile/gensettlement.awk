# gensettlement.awk -v rows=N - a Stripe itemized payout reconciliation
# report for bench/reconcile.sh: one charge for each of payments pi_1 ..
# pi_N (paid every 2.5 s from 2026-11-01 00:00 UTC, settled 5 s later) and
# one payout a day that is exactly minus the day's net, with three kinds of
# planted problems, one per 100,000 payments:
#   i % 100000 == 7   the payment has no row     (MISSING_IN_SETTLEMENT)
#   i % 100000 == 3   settled 9.00, not 10.00    (AMOUNT_MISMATCH)
#   pi_xK             a charge nobody notified   (MISSING_WEBHOOK)
# Amounts are kept in cents (integers) and printed exactly.
function money(c,   s) {
	s = c < 0 ? "-" : ""
	if (c < 0)
		c = -c
	return sprintf("%s%d.%02d", s, int(c / 100), c % 100)
}
# seconds after 2026-11-01 00:00 UTC (until the end of December)
function stamp(t,   d, h, m, s) {
	d = int(t / 86400) + 1
	t = t % 86400
	h = int(t / 3600)
	m = int(t % 3600 / 60)
	s = t % 60
	if (d > 30)
		return sprintf("2026-12-%02d %02d:%02d:%02d", d - 30, h, m, s)
	return sprintf("2026-11-%02d %02d:%02d:%02d", d, h, m, s)
}
function charge(id, pi, t, gross, fee,   day, net) {
	day = int(t / 86400) + 1
	net = gross - fee
	printf "txn_%s,%s,%s,usd,%s,%s,%s,charge,ch_%s,%s,ch_%s,po_%d,\"Credits, 100\"\n",
	    id, stamp(t), stamp(t + 172800), money(gross), money(fee), money(net),
	    id, pi, id, day
	paid[day] += net
	if (day > last)
		last = day
}
BEGIN {
	print "balance_transaction_id,created_utc,available_on_utc,currency," \
	    "gross,fee,net,reporting_category,source_id,payment_intent_id," \
	    "charge_id,automatic_payout_id,description"
	for (i = 1; i <= rows; i++) {
		if (i % 100000 == 7)
			continue
		t = int(i * 5 / 2) + 5
		if (i % 100000 == 3)
			charge(i, "pi_" i, t, 900, 59)
		else
			charge(i, "pi_" i, t, 1000, 59)
	}
	for (k = 1; k <= int(rows / 100000); k++)
		charge("x" k, "pi_x" k, (k - 1) * 86400 + 3600, 1000, 59)
	for (d = 1; d <= last; d++)
		printf "txn_po_%d,2026-11-%02d 23:59:59,2026-11-%02d 23:59:59,usd,%s,0.00,%s,payout,po_%d,,,po_%d,STRIPE PAYOUT\n",
		    d, d, d, money(-paid[d]), money(-paid[d]), d, d
}
