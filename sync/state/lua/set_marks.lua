-- ARGV[3]: the claimant that must hold every ticket's claim ('' for
-- none), ARGV[4]: {"drop": {ticket: [bug, ...]}, "set": {ticket: {bug:
-- mark}}} as JSON. Deletes, then writes, the note marks, all or none.
local req = cjson.decode(ARGV[4])
for _, part in ipairs({req.drop or {}, req.set or {}}) do
  for tid in pairs(part) do
    if not holds('ticket', tid, ARGV[3]) then
      return redis.error_reply('CLAIM_LOST the claim of ticket ' .. tid .. ' is no longer held by ' .. ARGV[3])
    end
  end
end
for tid, bugs in pairs(req.drop or {}) do
  if #bugs > 0 then redis.call('HDEL', P .. 'n:' .. tid, unpack(bugs)) end
end
for tid, marks in pairs(req.set or {}) do
  for bid, mark in pairs(marks) do
    redis.call('HSET', P .. 'n:' .. tid, bid, mark)
  end
end
return 1
