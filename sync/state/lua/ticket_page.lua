-- ARGV[3]: the page as JSON (see ticketPage in index.go). Applies it
-- atomically: records, links, dirty marks, keys waiting for resolution,
-- new bugs, aliases, missing keys, organizations, and last the cursor.
local page = cjson.decode(ARGV[3])
for _, t in ipairs(page.tickets or {}) do
  if not t.rec then
    unlinkTicket(t.id)
    redis.call('DEL', P .. 't:' .. t.id, P .. 'n:' .. t.id)
    redis.call('HDEL', P .. 'unresolved', t.id)
  else
    putRecord(P .. 't:' .. t.id, t.rec)
    relink('tl', t.id, 1, set(t.bugs))
    if t.bugsDirty then
      for _, bid in ipairs(redis.call('HKEYS', P .. 'tl:' .. t.id)) do enqueue('bug', bid) end
    end
    if t.dirty then enqueue('ticket', t.id) end
    if t.unresolved then
      redis.call('HSET', P .. 'unresolved', t.id, t.unresolved)
    else
      redis.call('HDEL', P .. 'unresolved', t.id)
    end
  end
end
for _, b in ipairs(page.newBugs or {}) do
  if redis.call('HSETNX', P .. 'b:' .. b.id, 's', b.rec) == 1 then
    redis.call('HSET', P .. 'b:' .. b.id, 'v', 1)
  end
end
for _, a in ipairs(page.aliases or {}) do redis.call('HSET', P .. 'alias', a[1], a[2]) end
for _, m in ipairs(page.missing or {}) do redis.call('HSET', P .. 'missing', m[1], m[2]) end
recordOrgs(page.orgs, page.orgTTL, false)
if page.cursor then redis.call('SET', P .. 'cursor:tickets', page.cursor) end
return changes
