-- post.lua - wrk script of bench/run: POST AdmissionReview bodies and report in JSON.
-- The bodies are the files listed (one path a line) in the file named by the
-- environment variable BENCH_BODIES; each thread cycles through them, each
-- request formatted once beforehand with the -H headers given to wrk. With
-- BENCH_BODIES empty, every request is a GET of the URL's path instead. done() prints one line,
-- "WRK {...}", with counts, errors and latency percentiles in microseconds.

local requests = {}
local n = 0

function init(args)
  if (os.getenv("BENCH_BODIES") or "") == "" then
    requests[1] = wrk.format("GET", nil, wrk.headers)
    n = 1
    return
  end
  local list = assert(io.open(os.getenv("BENCH_BODIES"), "r"))
  for path in list:lines() do
    local f = assert(io.open(path, "r"))
    local body = f:read("*a")
    f:close()
    n = n + 1
    local headers = {["Content-Type"] = "application/json"}
    for k, v in pairs(wrk.headers) do headers[k] = v end   -- -H options, e.g. Connection: close
    requests[n] = wrk.format("POST", nil, headers, body)
  end
  list:close()
  assert(n > 0, "no bodies listed in " .. os.getenv("BENCH_BODIES"))
end

local i = 0
function request()
  i = i % n + 1
  return requests[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
