-- Shared by every script: ARGV[1] is the key prefix, ARGV[2] the engine's
-- clock in unix milliseconds (the due time of anything enqueued).
local P = ARGV[1]
local NOW = ARGV[2]

local function has(mask, bit)
  return math.floor(mask / bit) % 2 == 1
end

-- enqueue marks an item dirty: one queue entry however often it is marked,
-- and a new version so that a claim taken before this is not acked away.
local function enqueue(queue, id)
  redis.call('ZADD', P .. 'q:' .. queue, 'NX', NOW, id)
  redis.call('HINCRBY', P .. 'q:' .. queue .. ':v', id, 1)
end

-- A claim with a claimant is recorded in <queue>:c (item → claimant), and
-- per claimant in <queue>:o:<claimant>, with the claimants that hold any in
-- <queue>:owners. A claimant is alive while claimantKey(token) exists; the
-- replica renews it (sync/lease.Claimant).
local function claimantKey(token)
  return P .. 'claimant:' .. token
end

-- releaseClaims makes the items a gone claimant still holds due now.
local function releaseClaims(q, owner)
  local held = q .. ':o:' .. owner
  for _, id in ipairs(redis.call('SMEMBERS', held)) do
    if redis.call('HGET', q .. ':c', id) == owner then
      redis.call('HDEL', q .. ':c', id)
      redis.call('ZADD', q, 'XX', NOW, id)
    end
  end
  redis.call('DEL', held)
  redis.call('SREM', q .. ':owners', owner)
end

-- mayRelease reports whether owner may settle its claim of id: nobody
-- else has claimed the item since; it forgets owner's claim if so.
local function mayRelease(q, id, owner)
  local holder = redis.call('HGET', q .. ':c', id)
  if holder and holder ~= owner then return false end
  if holder then
    redis.call('HDEL', q .. ':c', id)
    redis.call('SREM', q .. ':o:' .. holder, id)
  end
  return true
end

-- holds reports whether claimant token (when not '') still holds the
-- claim of id in queue and is alive: the fence of every write that says
-- something once (a note, a comment), so that a replica whose claim lapsed
-- and went to another says nothing more about the item.
local function holds(queue, id, token)
  if token == '' then return true end
  return redis.call('HGET', P .. 'q:' .. queue .. ':c', id) == token and redis.call('EXISTS', claimantKey(token)) == 1
end

-- changes collects {ticket, bug, source bit, 1|0} for every link added or
-- removed; scripts return it.
local changes = {}

-- setlink writes the source mask of one (ticket, bug) link to both sides of
-- the index at once, so that they never disagree, and marks both ends dirty.
local function setlink(tid, bid, old, new)
  if old == new then return end
  local tl, bl = P .. 'tl:' .. tid, P .. 'bl:' .. bid
  if new == 0 then
    redis.call('HDEL', tl, bid)
    redis.call('HDEL', bl, tid)
    if redis.call('EXISTS', bl) == 0 then redis.call('SREM', P .. 'linked', bid) end
  else
    redis.call('HSET', tl, bid, new)
    redis.call('HSET', bl, tid, new)
    redis.call('SADD', P .. 'linked', bid)
  end
  for _, bit in ipairs({1, 2}) do
    if has(old, bit) ~= has(new, bit) then
      changes[#changes + 1] = tid
      changes[#changes + 1] = bid
      changes[#changes + 1] = bit
      changes[#changes + 1] = has(new, bit) and 1 or 0
    end
  end
  enqueue('bug', bid)
  enqueue('ticket', tid)
end

-- relink makes the links of one source, seen from one item, exactly want
-- (a set). side is 'tl' for a ticket's bugs, 'bl' for a bug's tickets. It
-- reads the current links inside the script, so concurrent relinks of
-- overlapping items serialize instead of losing each other's changes.
local function relink(side, id, bit, want)
  local cur = redis.call('HGETALL', P .. side .. ':' .. id)
  local seen = {}
  for i = 1, #cur, 2 do
    local other, mask = cur[i], tonumber(cur[i + 1])
    seen[other] = mask
    if has(mask, bit) and not want[other] then
      if side == 'tl' then setlink(id, other, mask, mask - bit) else setlink(other, id, mask, mask - bit) end
    end
  end
  for other in pairs(want) do
    local mask = seen[other] or 0
    if not has(mask, bit) then
      if side == 'tl' then setlink(id, other, mask, mask + bit) else setlink(other, id, mask, mask + bit) end
    end
  end
end

local function unlinkTicket(tid)
  local cur = redis.call('HGETALL', P .. 'tl:' .. tid)
  for i = 1, #cur, 2 do setlink(tid, cur[i], tonumber(cur[i + 1]), 0) end
end

local function set(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

local function putRecord(key, blob)
  redis.call('HSET', key, 's', blob)
  redis.call('HINCRBY', key, 'v', 1)
end

-- The impact board's read models, kept in step with each bug's memory:
--   rank            ZSET  bug → weighted customers (bugs someone waits on)
--   standing        HASH  bug → "<category> <customers>", its share of waiting
--   waiting         HASH  category → customers waiting on its bugs
--   bw:<bug>        HASH  organization → since (ms): who waits on the bug
--   ow:<org>        ZSET  bug → since (ms): what the organization waits on
--   orgs            ZSET  organization → number of bugs it waits on

-- waitOn makes the organizations waiting on bug bid exactly want
-- ({org = since}), on both sides.
local function waitOn(bid, want)
  local bw = P .. 'bw:' .. bid
  local cur = redis.call('HGETALL', bw)
  local had = {}
  for i = 1, #cur, 2 do
    local org = cur[i]
    had[org] = cur[i + 1]
    if not want[org] then
      redis.call('HDEL', bw, org)
      local ow = P .. 'ow:' .. org
      redis.call('ZREM', ow, bid)
      local n = redis.call('ZCARD', ow)
      if n == 0 then redis.call('ZREM', P .. 'orgs', org) else redis.call('ZADD', P .. 'orgs', n, org) end
    end
  end
  for org, since in pairs(want) do
    if had[org] ~= since then
      redis.call('HSET', bw, org, since)
      local ow = P .. 'ow:' .. org
      redis.call('ZADD', ow, since, bid)
      redis.call('ZADD', P .. 'orgs', redis.call('ZCARD', ow), org)
    end
  end
end

-- share moves bug bid's contribution to the customers waiting per
-- category from what standing recorded to cat and n ('' and 0: none).
local function share(bid, cat, n)
  local prev = redis.call('HGET', P .. 'standing', bid)
  local mine
  if n > 0 then mine = cat .. ' ' .. n end
  if prev == mine then return end
  if prev then
    local pcat, pn = string.match(prev, '^(.*) (%d+)$')
    if pcat and redis.call('HINCRBY', P .. 'waiting', pcat, -tonumber(pn)) <= 0 then
      redis.call('HDEL', P .. 'waiting', pcat)
    end
  end
  if mine then
    redis.call('HINCRBY', P .. 'waiting', cat, n)
    redis.call('HSET', P .. 'standing', bid, mine)
  else
    redis.call('HDEL', P .. 'standing', bid)
  end
end

-- stand records a bug's standing: st is {w = weighted (string), n =
-- customers, cat = category, orgs = {{org, since}, ...}}; a bug nobody
-- waits on leaves the board.
local function stand(bid, st)
  local want = {}
  for _, o in ipairs(st.orgs or {}) do want[o[1]] = o[2] end
  waitOn(bid, want)
  local n = tonumber(st.n) or 0
  share(bid, st.cat or '', n)
  if n > 0 then
    redis.call('ZADD', P .. 'rank', st.w, bid)
  else
    redis.call('ZREM', P .. 'rank', bid)
  end
end

local function unstand(bid)
  stand(bid, {n = 0})
end

-- recordOrgs records organizations ({id, rec}, rec the JSON of orgWire)
-- in the cache (for ttl ms) and in orgname, the board's names, and marks
-- due the bugs each one waits on (ow:<org>) when its tier (t) or revenue
-- (r) differs from what orgname held: what those bugs count changed. The
-- ticket export hands over the organizations of changed tickets, which
-- are recorded whatever waits on them. The organization export (knownOnly)
-- hands over every organization that changed: one neither waited on nor
-- recorded before is left out, and the cache of one no bug waits on is
-- refreshed only where it holds the organization, so that an account's
-- organizations cost no memory beyond those the service already knows.
-- It returns the number of bugs marked.
local function recordOrgs(orgs, ttl, knownOnly)
  local marked = 0
  for _, o in ipairs(orgs or {}) do
    local old = redis.call('HGET', P .. 'orgname', o.id)
    local ow = P .. 'ow:' .. o.id
    local waits = not knownOnly or redis.call('EXISTS', ow) == 1
    if old or waits then
      if old then
        local was, now = cjson.decode(old), cjson.decode(o.rec)
        if was.t ~= now.t or was.r ~= now.r then
          for _, bid in ipairs(redis.call('ZRANGE', ow, 0, -1)) do
            enqueue('bug', bid)
            marked = marked + 1
          end
        end
      end
      if waits then
        redis.call('SET', P .. 'org:' .. o.id, o.rec, 'PX', ttl)
      else
        redis.call('SET', P .. 'org:' .. o.id, o.rec, 'PX', ttl, 'XX')
      end
      redis.call('HSET', P .. 'orgname', o.id, o.rec)
    end
  end
  return marked
end
