-- ARGV[3]: queue, then id, version pairs. An item not marked dirty since it
-- was claimed is done; one that was becomes due now.
local q = P .. 'q:' .. ARGV[3]
for i = 4, #ARGV, 2 do
  local id, v = ARGV[i], ARGV[i + 1]
  if (redis.call('HGET', q .. ':v', id) or '0') == v then
    redis.call('ZREM', q, id)
    redis.call('HDEL', q .. ':v', id)
  else
    redis.call('ZADD', q, 'XX', NOW, id)
  end
  redis.call('HDEL', q .. ':a', id)
end
return 1
