-- ARGV[3]: the resolution as JSON (see resolutionWire in keys.go). Applies
-- it atomically: new bugs, aliases, missing keys, then each ticket's links
-- from its keys, where what waits is still what was resolved (a newer
-- observation waits in its place otherwise).
local r = cjson.decode(ARGV[3])
for _, b in ipairs(r.newBugs or {}) do
  if redis.call('HSETNX', P .. 'b:' .. b.id, 's', b.rec) == 1 then
    redis.call('HSET', P .. 'b:' .. b.id, 'v', 1)
  end
end
for _, a in ipairs(r.aliases or {}) do redis.call('HSET', P .. 'alias', a[1], a[2]) end
for _, m in ipairs(r.missing or {}) do redis.call('HSET', P .. 'missing', m[1], m[2]) end
for _, t in ipairs(r.tickets or {}) do
  if redis.call('HGET', P .. 'unresolved', t.id) == t.was then
    redis.call('HDEL', P .. 'unresolved', t.id)
    if redis.call('EXISTS', P .. 't:' .. t.id) == 1 then relink('tl', t.id, 1, set(t.bugs)) end
  end
end
return changes
