-- post.lua - wrk script: POST pre-signed Standard Webhooks deliveries
-- (bench/receiver/gen.py) to /webhooks/$BENCH_SOURCE, one file per wrk
-- thread ($BENCH_DIR/$BENCH_PREFIX.N.tsv), each line used once.
local nthreads = 0
local threads = {}

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	local dir = os.getenv("BENCH_DIR")
	local prefix = os.getenv("BENCH_PREFIX")
	path = os.getenv("BENCH_SOURCE") or "usage"
	path = "/webhooks/" .. path
	file = assert(io.open(dir .. "/" .. prefix .. "." .. tid .. ".tsv", "r"))
	exhausted = false
end

function request()
	local line = file:read("*l")
	if line == nil then
		-- out of fresh deliveries: start over (the receiver answers
		-- duplicates); the row count afterwards shows it
		exhausted = true
		file:seek("set", 0)
		line = file:read("*l")
	end
	local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
	return wrk.format("POST", path, {
		["Content-Type"] = "application/json",
		["webhook-id"] = id,
		["webhook-timestamp"] = ts,
		["webhook-signature"] = sig,
	}, body)
end

function done(summary, latency, requests)
	io.write(string.format("LAT p50=%.3f p99=%.3f\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
	io.write(string.format("NON2XX %d\n", summary.errors.status))
	local wrapped = 0
	for _, t in ipairs(threads) do
		if t:get("exhausted") then
			wrapped = wrapped + 1
		end
	end
	io.write(string.format("EXHAUSTED %d\n", wrapped))
end
