-- wrk: the same 1 KiB POST as every row, to distinct `conn-<i>=` paths (`=` as %3D, as
-- the SDKs send it), no signing: the sink's ceiling on this machine.
local body = string.rep("0123456789abcdef", 64)
local headers = { ["Content-Type"] = "application/octet-stream" }
local i = 0

request = function()
  i = i + 1
  return wrk.format("POST", "/prod/@connections/conn-" .. i .. "%3D", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
