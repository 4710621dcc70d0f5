-- ARGV[3]: bug id, ARGV[4]: its key, ARGV[5]: missing-key record. Forgets a
-- bug that no longer exists; its tickets are marked dirty so that they stop
-- showing it. Returns the ids of those tickets.
local bid = ARGV[3]
local cur = redis.call('HGETALL', P .. 'bl:' .. bid)
local tickets = {}
for i = 1, #cur, 2 do
  setlink(cur[i], bid, tonumber(cur[i + 1]), 0)
  tickets[#tickets + 1] = cur[i]
end
redis.call('DEL', P .. 'b:' .. bid, P .. 'bm:' .. bid, P .. 'rl:' .. bid, P .. 'bl:' .. bid)
redis.call('HDEL', P .. 'awaiting', bid)
redis.call('SREM', P .. 'linked', bid)
unstand(bid)
if ARGV[4] ~= '' then
  if redis.call('HGET', P .. 'alias', ARGV[4]) == bid then redis.call('HDEL', P .. 'alias', ARGV[4]) end
  redis.call('HSET', P .. 'missing', ARGV[4], ARGV[5])
end
redis.call('ZREM', P .. 'q:bug', bid)
redis.call('HDEL', P .. 'q:bug:v', bid)
redis.call('HDEL', P .. 'q:bug:a', bid)
redis.call('HDEL', P .. 'q:bug:c', bid)
return tickets
