-- ARGV[3]: {ticket id: act} as JSON. Sets each ticket record's status
-- automation memory (field 'a' beside the record 's' and its version 'v',
-- which it leaves alone), only where the record exists: a ticket deleted
-- meanwhile is not brought back. An empty act forgets the memory.
for tid, act in pairs(cjson.decode(ARGV[3])) do
  local key = P .. 't:' .. tid
  if redis.call('EXISTS', key) == 1 then
    if act == '' then
      redis.call('HDEL', key, 'a')
    else
      redis.call('HSET', key, 'a', act)
    end
  end
end
return 1
