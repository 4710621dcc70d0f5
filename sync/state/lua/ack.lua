-- ARGV[3]: queue, then id, version, claimant triples. An item not marked
-- dirty since it was claimed is done; one that was becomes due now. A claim
-- another claimant holds now (this one's lapsed and the item was claimed
-- again) is left to it.
local q = P .. 'q:' .. ARGV[3]
for i = 4, #ARGV, 3 do
  local id, v, owner = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if mayRelease(q, id, owner) then
    if (redis.call('HGET', q .. ':v', id) or '0') == v then
      redis.call('ZREM', q, id)
      redis.call('HDEL', q .. ':v', id)
    else
      redis.call('ZADD', q, 'XX', NOW, id)
    end
    redis.call('HDEL', q .. ':a', id)
  end
end
return 1
