-- ARGV[3]: queue, ARGV[4]: due (ms), ARGV[5]: '1' to count a failed
-- attempt, then ids. An item dropped meanwhile is not brought back.
local q = P .. 'q:' .. ARGV[3]
for i = 6, #ARGV do
  if redis.call('ZSCORE', q, ARGV[i]) then
    redis.call('ZADD', q, 'XX', ARGV[4], ARGV[i])
    if ARGV[5] == '1' then redis.call('HINCRBY', q .. ':a', ARGV[i], 1) end
  end
end
return 1
