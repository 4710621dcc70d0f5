-- ARGV[3]: record key, ARGV[4]: expected version, ARGV[5]: blob. Replaces
-- the record only if nobody replaced it since it was read.
local v = redis.call('HGET', ARGV[3], 'v')
if not v or v ~= ARGV[4] then return 0 end
redis.call('HSET', ARGV[3], 's', ARGV[5])
return redis.call('HINCRBY', ARGV[3], 'v', 1)
