-- wrk script for the quiz-submit measurement of bench/http_bench.py.
--
-- Arguments (after --): POOL MODE [PATH]
--
--   POOL  prefix of the request files, one per wrk thread (POOL.0, POOL.1, ...),
--         written by http_bench.py from bench/quiz_pool.py: one request per
--         line, tab-separated: path, session cookie, form body.
--   MODE  "app": every request hands in its own open attempt as the summary's
--         "Hand in now" does (POST to the attempt's path with the learner's
--         cookie, the CSRF token, the summary's `sequence` and `attempt_key`
--         and action=submit; every page was answered and saved before); the
--         expected answer is a redirect to the attempt's result page.
--         "bare": every request is a POST of the same bodies to PATH (the bare
--         app); the expected answer is 200.
--
-- A request file is never sent twice in app mode: once a thread has used all
-- its lines it wraps around and counts every further request as `exhausted`
-- (a second submit of a graded attempt is cheap and would flatter the figures);
-- http_bench.py then repeats the run with more open attempts.
--
-- When wrk is done it prints the line report.lua prints (times in
-- microseconds), where non2xx counts the answers other than the expected one,
-- plus exhausted=...

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   mode = args[2]
   fixed_path = args[3]
   pool = {}
   for line in io.lines(args[1] .. "." .. id) do
      local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
      table.insert(pool, { path = path, cookie = cookie, body = body })
   end
   sent = 0
   non2xx = 0
   login_redirects = 0
   exhausted = 0
end

function request()
   sent = sent + 1
   if sent > #pool and mode == "app" then
      exhausted = exhausted + 1
   end
   local entry = pool[(sent - 1) % #pool + 1]
   local headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "lms_session=" .. entry.cookie,
   }
   return wrk.format("POST", fixed_path or entry.path, headers, entry.body)
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"] or ""
   if mode == "app" then
      if status == 302 and string.find(location, "/result", 1, true) then
         return
      end
      if string.find(location, "/login", 1, true) then
         login_redirects = login_redirects + 1
      end
      non2xx = non2xx + 1
   elseif status ~= 200 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local non2xx_total, login_total, exhausted_total = 0, 0, 0
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
      login_total = login_total + thread:get("login_redirects")
      exhausted_total = exhausted_total + thread:get("exhausted")
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%.0f duration_us=%.0f bytes=%.0f mean_us=%.1f max_us=%.0f"
         .. " p50_us=%.0f p95_us=%.0f p99_us=%.0f non2xx=%.0f login_redirects=%.0f"
         .. " connect_errors=%.0f read_errors=%.0f write_errors=%.0f timeouts=%.0f"
         .. " status_errors=%.0f exhausted=%.0f\n",
      summary.requests, summary.duration, summary.bytes, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      non2xx_total, login_total,
      errors.connect, errors.read, errors.write, errors.timeout, errors.status,
      exhausted_total
   ))
end
