-- POST JSON bodies, each with its own bearer token, round-robin over the requests.
-- BODIES and TOKENS hold one body / token per line (line i of each goes together);
-- one account and conversation per wrk connection, so turns do not queue on one row lock.
local function lines(text)
  local out = {}
  for line in string.gmatch(text or "", "[^\n]+") do
    table.insert(out, line)
  end
  return out
end

local bodies = lines(os.getenv("BODIES"))
local tokens = lines(os.getenv("TOKENS"))
local counter = 0

-- Each wrk thread has a Lua state (and counter) of its own: without an offset, both threads
-- would send line 1, 2, 3… at the same moments, two turns of one account at once. Thread k
-- of n takes the k-th share of the lines instead.
local started = 0
function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
end

local share, first = 0, 0
function init(args)
  local threads = tonumber(os.getenv("WRK_THREADS") or "2")
  share = math.max(1, math.floor(#bodies / threads))
  first = (thread_index or 0) * share
end

request = function()
  counter = counter + 1
  local i = ((first + (counter % share)) % #bodies) + 1
  local headers = { ["Content-Type"] = "application/json" }
  if tokens[i] and tokens[i] ~= "-" then
    headers["Authorization"] = "Bearer " .. tokens[i]
  end
  return wrk.format("POST", nil, headers, bodies[i])
end
