-- wrk script: every request is a batch of 16 pipelined GETs (one write), so the server's cost per
-- request, not the load generator's, decides the figure.
local depth = 16

init = function(args)
  local batch = {}
  for i = 1, depth do batch[i] = wrk.format(nil, "/") end
  request_batch = table.concat(batch)
end

request = function()
  return request_batch
end
