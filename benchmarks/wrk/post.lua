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

request = function()
  counter = counter + 1
  local i = (counter % #bodies) + 1
  local headers = { ["Content-Type"] = "application/json" }
  if tokens[i] and tokens[i] ~= "-" then
    headers["Authorization"] = "Bearer " .. tokens[i]
  end
  return wrk.format("POST", nil, headers, bodies[i])
end
