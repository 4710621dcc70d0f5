-- ARGV[3]: queue, ARGV[4]: due until (ms), ARGV[5]: count, ARGV[6]: lease
-- until (ms). Claimed items stay queued, due again when the lease ends, so a
-- claimant that dies loses nothing. Returns {id, version, attempts, due}...
-- where due is the score the item had (for a fresh item, when it was marked).
local q = P .. 'q:' .. ARGV[3]
local due = redis.call('ZRANGEBYSCORE', q, '-inf', ARGV[4], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZADD', q, 'XX', ARGV[6], id)
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', q .. ':v', id) or '0'
  out[#out + 1] = redis.call('HGET', q .. ':a', id) or '0'
  out[#out + 1] = due[i + 1]
end
return out
