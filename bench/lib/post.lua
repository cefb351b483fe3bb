-- wrk script: POST the body in the file named by WRK_BODY_FILE (read as bytes, so binary
-- bodies work) with Content-Type WRK_CONTENT_TYPE (default application/json) and the extra
-- headers in WRK_HEADERS ("Name: value" lines). At the end print one line "WRK_JSON {...}" with
-- counts and latency percentiles (microseconds) for bench/lib/wrk.ts.
local path = os.getenv("WRK_BODY_FILE")
if path ~= nil and path ~= "" then
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end
local extra = os.getenv("WRK_HEADERS")
if extra ~= nil then
  for name, value in string.gmatch(extra, "([^:\n]+):%s*([^\n]*)") do
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
