-- wrk script: send 16 requests in each write (HTTP/1.1 pipelining, as TechEmpower's
-- plaintext test does). wrk counts every response, so Requests/sec stays comparable.
local depth = 16

init = function(args)
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
