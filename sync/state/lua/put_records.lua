-- ARGV[3]: JSON array of {key, v, rec}. Replaces each record only if
-- nobody replaced it since it was read (its version is still v). Returns 1
-- or 0 per record.
local out = {}
for i, r in ipairs(cjson.decode(ARGV[3])) do
  local v = redis.call('HGET', r.key, 'v')
  if v and v == r.v then
    putRecord(r.key, r.rec)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
