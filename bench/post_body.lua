-- wrk script: every request POSTs the same form body, read from the file given as the
-- first argument (after --); reports like report.lua (whose functions it loads).
local here = debug.getinfo(1, "S").source:sub(2)
dofile((here:gsub("post_body%.lua$", "report.lua")))
local report_init = init

function init(args)
   local file = assert(io.open(args[1], "rb"))
   wrk.method = "POST"
   wrk.body = file:read("*a")
   file:close()
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   report_init(args)
end
