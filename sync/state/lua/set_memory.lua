-- ARGV[3]: bug id, ARGV[4]: its memory, ARGV[5]: its standing as JSON (see
-- stand in lib.lua). The memory and the board's read models change together.
redis.call('SET', P .. 'bm:' .. ARGV[3], ARGV[4])
stand(ARGV[3], cjson.decode(ARGV[5]))
return 1
