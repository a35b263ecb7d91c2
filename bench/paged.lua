-- wrk script: random pages and sorts of one big discussion, as readers arrive from links
-- and the pager. BENCH_PAGES (environment) is the number of comment pages.
local pages = tonumber(os.getenv("BENCH_PAGES") or "1")
local sorts = {"newest", "oldest", "replies", "liked"}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  local page = math.random(1, pages)
  local sort = sorts[math.random(1, #sorts)]
  return wrk.format("GET", wrk.path .. "?csort=" .. sort .. "&cpage=" .. page)
end
