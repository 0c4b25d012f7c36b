-- wrk script used by bench/http_bench.py.
--
-- Counts, per wrk thread, the answers that are not 2xx and among them the
-- redirects to the login page (a rejected session cookie). When wrk is done it
-- prints one machine-parseable line, all times in microseconds:
--
--   BENCH requests=... duration_us=... bytes=... mean_us=... max_us=...
--         p50_us=... p95_us=... p99_us=... non2xx=... login_redirects=...
--         connect_errors=... read_errors=... write_errors=... timeouts=...
--         status_errors=...
--
-- status_errors is wrk's own count (answers >= 400); non2xx also includes 1xx
-- and 3xx answers.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   login_redirects = 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      local location = headers["Location"] or headers["location"] or ""
      if status >= 300 and status < 400 and string.find(location, "/login", 1, true) then
         login_redirects = login_redirects + 1
      end
   end
end

function done(summary, latency, requests)
   local non2xx_total = 0
   local login_total = 0
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
      login_total = login_total + thread:get("login_redirects")
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%.0f duration_us=%.0f bytes=%.0f mean_us=%.1f max_us=%.0f"
         .. " p50_us=%.0f p95_us=%.0f p99_us=%.0f non2xx=%.0f login_redirects=%.0f"
         .. " connect_errors=%.0f read_errors=%.0f write_errors=%.0f timeouts=%.0f"
         .. " status_errors=%.0f\n",
      summary.requests, summary.duration, summary.bytes, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      non2xx_total, login_total,
      errors.connect, errors.read, errors.write, errors.timeout, errors.status
   ))
end
