-- ARGV[3]: queue, ARGV[4]: due until (ms), ARGV[5]: count, ARGV[6]: lease
-- until (ms), ARGV[7]: the claimant's token ('' for none). Claimed items
-- stay queued, due again when the lease ends, so a claimant that dies
-- loses nothing. A claim with a claimant is also held only while the
-- claimant's key lives: the claims of claimants whose key is gone (a
-- replica that died, leader or not) are released first, due now, so that
-- their work is taken up at once instead of when the lease ends. Returns
-- {id, version, attempts, due}... where due is the score the item had (for
-- a fresh item, when it was marked).
local q = P .. 'q:' .. ARGV[3]
for _, gone in ipairs(redis.call('SMEMBERS', q .. ':owners')) do
  if redis.call('EXISTS', claimantKey(gone)) == 0 then
    releaseClaims(q, gone)
  end
end
local owner = ARGV[7]
local due = redis.call('ZRANGEBYSCORE', q, '-inf', ARGV[4], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZADD', q, 'XX', ARGV[6], id)
  local prev = redis.call('HGET', q .. ':c', id) -- a claim whose lease ran out
  if prev and prev ~= owner then redis.call('SREM', q .. ':o:' .. prev, id) end
  if owner == '' then
    redis.call('HDEL', q .. ':c', id)
  else
    redis.call('HSET', q .. ':c', id, owner)
    redis.call('SADD', q .. ':o:' .. owner, id)
  end
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', q .. ':v', id) or '0'
  out[#out + 1] = redis.call('HGET', q .. ':a', id) or '0'
  out[#out + 1] = due[i + 1]
end
if owner ~= '' and #due > 0 then redis.call('SADD', q .. ':owners', owner) end
return out
