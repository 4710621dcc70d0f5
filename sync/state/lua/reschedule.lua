-- ARGV[3]: queue, ARGV[4]: due (ms), ARGV[5]: '1' to count a failed
-- attempt, then id, claimant pairs. An item dropped meanwhile is not
-- brought back; one another claimant holds now is left to it.
local q = P .. 'q:' .. ARGV[3]
for i = 6, #ARGV, 2 do
  local id, owner = ARGV[i], ARGV[i + 1]
  if redis.call('ZSCORE', q, id) and mayRelease(q, id, owner) then
    redis.call('ZADD', q, 'XX', ARGV[4], id)
    if ARGV[5] == '1' then redis.call('HINCRBY', q .. ':a', id, 1) end
  end
end
return 1
