-- ARGV[3]: the page as JSON (see bugPage in index.go). Applies it atomically:
-- records, tracker-side links, dirty marks (a bug's tickets fanned out here,
-- server side), aliases, and last the watermark.
local page = cjson.decode(ARGV[3])
for _, b in ipairs(page.bugs or {}) do
  putRecord(P .. 'b:' .. b.id, b.rec)
  if b.linksRead then relink('bl', b.id, 2, set(b.tickets)) end
  if b.dirty then enqueue('bug', b.id) end
  if b.ticketsDirty then
    for _, tid in ipairs(redis.call('HKEYS', P .. 'bl:' .. b.id)) do enqueue('ticket', tid) end
  end
end
for _, a in ipairs(page.aliases or {}) do redis.call('HSET', P .. 'alias', a[1], a[2]) end
if page.watermark then redis.call('SET', P .. 'watermark:bugs', page.watermark) end
return changes
