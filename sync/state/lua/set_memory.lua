-- ARGV[3]: bug id, ARGV[4]: its memory record (memory and standing, see
-- memoryWire), ARGV[5]: its standing for the read models as JSON (see
-- stand in lib.lua), ARGV[6]: the claimant that must hold the bug's claim
-- ('' for none), ARGV[7]: the release its open tickets wait on (see
-- awaitingWire; '' for none). The memory, the board's read models and the
-- set of bugs awaiting a release change together.
if not holds('bug', ARGV[3], ARGV[6]) then
  return redis.error_reply('CLAIM_LOST the claim of bug ' .. ARGV[3] .. ' is no longer held by ' .. ARGV[6])
end
redis.call('SET', P .. 'bm:' .. ARGV[3], ARGV[4])
stand(ARGV[3], cjson.decode(ARGV[5]))
if ARGV[7] ~= nil and ARGV[7] ~= '' then
  redis.call('HSET', P .. 'awaiting', ARGV[3], ARGV[7])
else
  redis.call('HDEL', P .. 'awaiting', ARGV[3])
end
return 1
