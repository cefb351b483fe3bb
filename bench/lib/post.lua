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

-- WRK_TRACEPARENT_EVERY=N (N > 0): every Nth request carries a W3C traceparent that marks a
-- sampled caller span, with a new random trace id each time; the rest are sent as they are.
-- A runtime that samples no root trace (parentbased_traceidratio at 0) then traces exactly
-- that share, so one process can be measured tracing some requests and none in turn.
-- WRK_TRACEPARENT_FLAGS=00 marks them not sampled instead: the runtime then traces none of
-- them while wrk's own work per request stays the same as when it traces them.
local every = tonumber(os.getenv("WRK_TRACEPARENT_EVERY") or "0") or 0
local flags = os.getenv("WRK_TRACEPARENT_FLAGS") or "01"
if every > 0 then
  local sent = 0
  local plain = nil
  local traced_headers = {}

  local function hex(groups)
    local parts = {}
    for i = 1, groups do
      parts[i] = string.format("%04x", math.random(0, 65535))
    end
    -- An all-zero id is invalid; the first group is never zero.
    if parts[1] == "0000" then parts[1] = "0001" end
    return table.concat(parts)
  end

  function init(args)
    math.randomseed(os.time())
    for name, value in pairs(wrk.headers) do traced_headers[name] = value end
    plain = wrk.format()
  end

  function request()
    sent = sent + 1
    if sent % every ~= 0 then return plain end
    traced_headers["traceparent"] = "00-" .. hex(8) .. "-" .. hex(4) .. "-" .. flags
    return wrk.format(nil, nil, traced_headers)
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
