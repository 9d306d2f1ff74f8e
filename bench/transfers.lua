-- wrk script for the single-transfer workload: one POST /v1/transfers per request, one transfer of
-- 1 minor unit between two different random accounts acct-0 .. acct-(N-1), each request with its
-- own Idempotency-Key. Lets an outside load generator cross-check `./coffer bench transfers`.
--
--   COFFER_KEY=cfk_... COFFER_ACCOUNTS=1000 wrk -t2 -c64 -d20s -s bench/transfers.lua http://127.0.0.1:8080
--
-- The accounts must exist and be funded; bench/wrk-transfers.sh starts a server and does that.

local key = os.getenv("COFFER_KEY") or error("set COFFER_KEY to a write-scoped API key")
local accounts = tonumber(os.getenv("COFFER_ACCOUNTS") or "1000")
local counter = 0
local prefix

function setup(thread)
  thread:set("thread_id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "wrk-" .. (thread_id or tostring(math.random(1, 1e9))) .. "-" .. tostring(os.time()) .. "-"
  math.randomseed(os.time() + tonumber(thread_id or "0"))
end

function request()
  counter = counter + 1
  local a = math.random(0, accounts - 1)
  local b = math.random(0, accounts - 2)
  if b >= a then b = b + 1 end
  local body = '{"from":"acct-' .. a .. '","to":"acct-' .. b .. '","amount":"1"}'
  -- wrk.format uses these headers instead of wrk.headers, so all of them go here
  local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = prefix .. counter }
  return wrk.format("POST", "/v1/transfers", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.0f  p50: %.2f ms  p99: %.2f ms  p99.9: %.2f ms  non-2xx: %d  socket errors: %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
