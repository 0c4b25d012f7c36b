-- wrk script of bench/large_provider.py: spreads wrk's threads over several servers.
--
-- Wraps another wrk script (report.lua or quiz_submit.lua, whose arguments it
-- passes on) and connects thread i to server i mod n, so with two threads and two
-- instances each instance gets half the connections; wrk adds up the latencies of
-- all threads as usual. Settings come from the environment (setup() sees no
-- arguments):
--
--   BENCH_SPREAD_SCRIPT  the wrapped script
--   BENCH_SPREAD_ADDRS   host:port,host:port,... of the servers
--   BENCH_SPREAD_OUT     a file that gets one line per thread when wrk is done:
--                        "<host:port> <answers>", to show how the load was spread
--
-- The Host header stays the one of wrk's URL (the first server); Lernwerk does not
-- mind, as behind a load balancer.

dofile(os.getenv("BENCH_SPREAD_SCRIPT"))

local inner_setup, inner_response, inner_done = setup, response, done
local spread_addrs = nil
local spread_threads = {}

function setup(thread)
   if spread_addrs == nil then
      spread_addrs = {}
      for host, port in string.gmatch(os.getenv("BENCH_SPREAD_ADDRS"), "([^,:]+):(%d+)") do
         table.insert(spread_addrs, wrk.lookup(host, port)[1])
      end
   end
   thread.addr = spread_addrs[#spread_threads % #spread_addrs + 1]
   table.insert(spread_threads, thread)
   if inner_setup then
      inner_setup(thread)
   end
end

spread_answers = 0

function response(status, headers, body)
   spread_answers = spread_answers + 1
   if inner_response then
      inner_response(status, headers, body)
   end
end

function done(summary, latency, requests)
   if inner_done then
      inner_done(summary, latency, requests)
   end
   local out = os.getenv("BENCH_SPREAD_OUT")
   if out then
      local file = io.open(out, "w")
      for _, thread in ipairs(spread_threads) do
         file:write(string.format("%s %.0f\n", tostring(thread.addr), thread:get("spread_answers")))
      end
      file:close()
   end
end
