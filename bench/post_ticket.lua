-- wrk script: POST {"service": X} to the URL given to wrk, X turning through A, B, C, D
-- (one queue per service, as a hall's kiosks would spread them).
local services = {"A", "B", "C", "D"}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{"service": "' .. services[(i % 4) + 1] .. '"}')
end
