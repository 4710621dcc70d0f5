-- ARGV[3]: a health report as JSON (see healthWire in board.go). Applies it
-- in one call: fields set, last-success times moved forward only (replicas
-- report out of order), request counts added to per-minute buckets, and,
-- when day is given, today's chart point copied from the live customers
-- waiting per category. Old buckets and points are dropped.
local r = cjson.decode(ARGV[3])
local h = P .. 'health'
for _, f in ipairs(r.fields or {}) do redis.call('HSET', h, f[1], f[2]) end
for _, f in ipairs(r.latest or {}) do
  local cur = tonumber(redis.call('HGET', h, f[1]) or '0')
  if tonumber(f[2]) > cur then redis.call('HSET', h, f[1], f[2]) end
end
local touched = {}
for _, c in ipairs(r.calls or {}) do
  local k = P .. 'calls:' .. c[1]
  if tonumber(c[3]) > 0 then redis.call('HINCRBY', k, c[2], c[3]) end
  if tonumber(c[4]) > 0 then redis.call('HINCRBY', k, c[2] .. ':f', c[4]) end
  touched[k] = true
end
for k in pairs(touched) do
  for _, f in ipairs(redis.call('HKEYS', k)) do
    local minute = tonumber(string.match(f, '^(%d+)'))
    if not minute or minute < tonumber(r.keepAfter) then redis.call('HDEL', k, f) end
  end
end
if r.day then
  local waiting = redis.call('HGETALL', P .. 'waiting')
  local point = {}
  for i = 1, #waiting, 2 do point[waiting[i]] = tonumber(waiting[i + 1]) end
  local blob = '{}'
  if #waiting > 0 then blob = cjson.encode(point) end
  redis.call('HSET', P .. 'chart', r.day, blob)
  for _, d in ipairs(redis.call('HKEYS', P .. 'chart')) do
    if d < r.keepDay then redis.call('HDEL', P .. 'chart', d) end
  end
end
return 1
