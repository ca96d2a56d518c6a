/**
 * The Lua behind RedisCounters. Each script runs atomically in Redis, so reserving on
 * every budget of a request and settling all of its reservations are one round trip
 * each, with no lock.
 *
 * Money travels as decimal strings and is added with HINCRBY, which is exact on 64-bit
 * integers. Comparisons use Lua numbers (doubles): exact up to 2^53 picodollars
 * ($9,007) per bucket and within a nanodollar above. Levels sent back are formatted the
 * same way; `read` sums the stored strings in JavaScript and is exact.
 *
 * KEYS[1] is the lease set, KEYS[2] the prefix of reservation records. All keys share
 * the `{tg}` hash tag, so they live in one slot of a Redis Cluster.
 */

/** The key of a rolling window's running totals, after its buckets' base (the scripts and `adjust` agree on it). */
export const totalsKey = (base: string): string => `${base}sum`;

const COMMON = `
local LEASES = KEYS[1]
local RECORDS = KEYS[2]

-- Spent and held, summed over the buckets; the first value is the level (their sum).
local function level(buckets)
  local s, sp = 0, 0
  for _, b in ipairs(buckets) do
    local v = redis.call('HMGET', b, 'spent', 'held')
    sp = sp + (tonumber(v[1]) or 0)
    s = s + (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  end
  return s, sp
end

local function fmt(n)
  return string.format('%.0f', n)
end

-- A rolling window (a line with a roll: key base, first bucket start, step, bucket count) keeps
-- running totals of its live buckets in a hash of its own (s, h; from, the first start they
-- count; m, the marker's token they were built under; b, the first start when they were
-- built), so that its level is one read however many buckets it has, rather than one per
-- bucket each time. Buckets stay the record: totals missing, built under another marker, too
-- far behind, or built a window's length ago are rebuilt from them, so that whatever reached
-- the buckets alone (a replica of an earlier version during an upgrade) counts again within
-- one window's length.
local function sumKey(roll) return roll.base .. '${totalsKey('')}' end
local function bucketAt(roll, start) return roll.base .. fmt(start) end
local function negate(v)
  if v == '0' then return v end -- Redis refuses '-0'
  if string.sub(v, 1, 1) == '-' then return string.sub(v, 2) end
  return '-' .. v
end
-- Unread longer than this, totals lapse: a bucket that has left the window (and must still be
-- subtracted) outlives its last write by the bucket TTL, which is longer than the window by this.
local function sumTtl(roll, ttl) return ttl - (roll.n + 2) * roll.step end

local function sumOf(key)
  local v = redis.call('HMGET', key, 's', 'h')
  return (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0), (tonumber(v[1]) or 0)
end

-- Adds a bucket's spent and held to the totals at key, or takes them away.
local function fold(key, bucket, away)
  local v = redis.call('HMGET', bucket, 'spent', 'held')
  if v[1] then redis.call('HINCRBY', key, 's', away and negate(v[1]) or v[1]) end
  if v[2] then redis.call('HINCRBY', key, 'h', away and negate(v[2]) or v[2]) end
end

-- Brings a rolling window's totals to the window starting at roll.first, and returns its level.
-- The totals hold every bucket from 'from' on: a rebuild takes one bucket past the window too,
-- which a replica whose clock runs ahead may already have charged.
local function rolled(roll, token, ttl)
  local key = sumKey(roll)
  local t = redis.call('HMGET', key, 'from', 'm', 'b')
  local from, built = tonumber(t[1]), tonumber(t[3])
  local span = roll.n * roll.step
  if from == nil or built == nil or t[2] ~= token or roll.first - built >= span or (roll.first - from) % roll.step ~= 0 then
    redis.call('DEL', key)
    for i = 0, roll.n do fold(key, bucketAt(roll, roll.first + i * roll.step), false) end
    redis.call('HSET', key, 'from', fmt(roll.first), 'm', token, 'b', fmt(roll.first))
  elseif from < roll.first then
    for start = from, roll.first - roll.step, roll.step do fold(key, bucketAt(roll, start), true) end
    redis.call('HSET', key, 'from', fmt(roll.first))
  end
  redis.call('PEXPIRE', key, sumTtl(roll, ttl))
  return sumOf(key)
end

-- The level of the window a reservation was made in, as its settlement reports it, changing
-- nothing: the totals while they still stand at that window, else its buckets summed (moving
-- 'from' back would drop newer buckets).
local function levelNow(roll, token)
  local key = sumKey(roll)
  local t = redis.call('HMGET', key, 'from', 'm')
  local from = tonumber(t[1])
  if from == roll.first and t[2] == token then return sumOf(key) end
  local names = {}
  for i = 0, roll.n - 1 do names[i + 1] = bucketAt(roll, roll.first + i * roll.step) end
  return level(names)
end

-- Adds to a charged bucket's spent or held, and to its window's totals while they count it.
local function addTo(c, field, amount)
  redis.call('HINCRBY', c.bucket, field, amount)
  if c.roll then
    local key = sumKey(c.roll)
    local from = tonumber(redis.call('HGET', key, 'from'))
    if from ~= nil and c.start >= from then redis.call('HINCRBY', key, field == 'spent' and 's' or 'h', amount) end
  end
end
`;

/** ARGV[1]: the plan as JSON (see RedisCounters.reserve). Returns the outcome as JSON. */
export const RESERVE = `${COMMON}
local p = cjson.decode(ARGV[1])
local now = p.now
local amt = tonumber(p.amount)

-- Leases of crashed replicas: give their holds back.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, 100)) do
  local raw = redis.call('GET', RECORDS .. id)
  if raw then
    local r = cjson.decode(raw)
    for _, c in ipairs(r.charged) do
      if r.amount ~= '0' then addTo(c, 'held', r.neg) end
    end
    for _, k in ipairs(r.conc) do redis.call('ZREM', k, id) end
    redis.call('DEL', RECORDS .. id)
  end
  redis.call('ZREM', LEASES, id)
end

local all = {}
for _, g in ipairs(p.groups) do
  for _, l in ipairs(g.lines) do table.insert(all, l) end
  if g.pool then table.insert(all, g.pool) end
end
-- Each marker's token (false when missing), read once.
local tokens = {}
local function tokenOf(marker)
  local t = tokens[marker]
  if t == nil then
    t = redis.call('GET', marker)
    tokens[marker] = t
  end
  return t
end
-- Each line's spent + held before this request, read once.
local before = {}
local function levelOf(l)
  local v = before[l.ref]
  if v == nil then
    if l.roll then v = rolled(l.roll, tokenOf(l.marker) or '', l.ttl) else v = level(l.buckets) end
    before[l.ref] = v
  end
  return v
end
local chargedRef = {}
local function levels()
  local out = {}
  for i, l in ipairs(all) do out[i] = fmt(levelOf(l) + (chargedRef[l.ref] and amt or 0)) end
  return out
end

local existing = redis.call('GET', RECORDS .. p.id)
if existing then
  return cjson.encode({ ok = true, pooled = cjson.decode(existing).pooled, levels = levels() })
end

local missing, seen = {}, {}
for _, l in ipairs(all) do
  if not seen[l.marker] and not tokenOf(l.marker) then
    seen[l.marker] = true
    table.insert(missing, l.marker)
  end
end
if #missing > 0 then return cjson.encode({ ok = false, reason = 'uninitialized', markers = missing }) end

local charged, pooled = {}, {}
local function fits(l)
  if chargedRef[l.ref] then return true, 0 end
  local lv = levelOf(l)
  return lv + amt <= l.limit, lv
end
local function charge(l)
  if not chargedRef[l.ref] then
    chargedRef[l.ref] = true
    table.insert(charged, l)
  end
end
for gi, g in ipairs(p.groups) do
  local bad, badLevel
  for _, l in ipairs(g.lines) do
    local ok, lv = fits(l)
    if not ok then bad, badLevel = l, lv break end
  end
  if not bad then
    for _, l in ipairs(g.lines) do charge(l) end
    pooled[gi] = false
  elseif g.pool and fits(g.pool) then
    charge(g.pool)
    pooled[gi] = true
  else
    local out = { ok = false, reason = 'spend', ref = bad.ref, level = fmt(badLevel) }
    -- The pool had no room either: it is what refused the request.
    if g.pool then out.pool, out.poolLevel = g.pool.ref, fmt(levelOf(g.pool)) end
    return cjson.encode(out)
  end
end

for _, r in ipairs(p.rates) do
  if r.kind == 'concurrency' then
    redis.call('ZREMRANGEBYSCORE', r.key, '-inf', now)
    local n = redis.call('ZCARD', r.key)
    if n + 1 > r.limit then return cjson.encode({ ok = false, reason = 'rate', ref = r.ref, kind = r.kind, current = n, previous = 0 }) end
  else
    local cur = tonumber(redis.call('GET', r.key) or '0')
    local prev = tonumber(redis.call('GET', r.prevKey) or '0')
    if math.floor(prev * r.prevWeight) + cur + r.amount > r.limit then
      return cjson.encode({ ok = false, reason = 'rate', ref = r.ref, kind = r.kind, current = cur, previous = prev })
    end
  end
end

local rec = { amount = p.amount, neg = p.neg, charged = {}, tpm = {}, conc = {}, pooled = pooled }
for _, l in ipairs(charged) do
  local c = { ref = l.ref, bucket = l.last, ttl = l.ttl }
  if l.roll then
    c.roll, c.start, c.marker = l.roll, l.roll.first + (l.roll.n - 1) * l.roll.step, l.marker
  else
    c.buckets = l.buckets
  end
  if p.amount ~= '0' then addTo(c, 'held', p.amount) end
  redis.call('PEXPIRE', c.bucket, l.ttl)
  table.insert(rec.charged, c)
end
for _, r in ipairs(p.rates) do
  if r.kind == 'concurrency' then
    redis.call('ZADD', r.key, now + p.lease, p.id)
    redis.call('PEXPIRE', r.key, p.lease)
    table.insert(rec.conc, r.key)
  else
    if r.amount > 0 then redis.call('INCRBY', r.key, string.format('%d', r.amount)) end
    redis.call('PEXPIRE', r.key, r.ttl)
    if r.kind == 'tpm' then table.insert(rec.tpm, { key = r.key, est = r.amount }) end
  end
end
redis.call('SET', RECORDS .. p.id, cjson.encode(rec), 'PX', p.lease + 60000)
redis.call('ZADD', LEASES, now + p.lease, p.id)
return cjson.encode({ ok = true, pooled = pooled, levels = levels() })
`;

/**
 * ARGV: per reservation to settle, five values: its id, actual cost (picos, decimal), actual
 * tokens, a JSON object of ref -> actual for lines charged another amount (or ''), and the late
 * lines as JSON, { l: [line with its amount], g: guard ms when there is no reservation } (or '').
 * Returns, as JSON, per reservation [[ref, level, spent]...], or { levels, late } with late lines,
 * or false when already settled.
 */
export const SETTLE = `${COMMON}
-- Lines the reservation did not hold (a budget made while its request ran): charged where initialised.
local function chargeLate(lines)
  local out = {}
  for _, l in ipairs(lines) do
    local token = redis.call('GET', l.marker)
    if token then
      local c = { bucket = l.last, roll = l.roll, start = l.roll and (l.roll.first + (l.roll.n - 1) * l.roll.step) }
      if l.amount ~= '0' then addTo(c, 'spent', l.amount) end
      redis.call('PEXPIRE', l.last, l.ttl)
      local lv, sp
      if l.roll then lv, sp = levelNow(l.roll, token) else lv, sp = level(l.buckets) end
      table.insert(out, { l.ref, fmt(lv), fmt(sp) })
    end
  end
  return out
end

local function settle(id, actual, tokens, split, late)
  local raw = redis.call('GET', RECORDS .. id)
  if not raw then
    -- No reservation: charged once per id, the id kept for the guard's time.
    if late and late.g and redis.call('SET', RECORDS .. id .. ':late', '1', 'PX', late.g, 'NX') then
      return { levels = {}, late = chargeLate(late.l) }
    end
    return false
  end
  local r = cjson.decode(raw)
  local out = {}
  for _, c in ipairs(r.charged) do
    local a = split[c.ref] or actual
    if r.amount ~= '0' then addTo(c, 'held', r.neg) end
    if a ~= '0' then addTo(c, 'spent', a) end
    redis.call('PEXPIRE', c.bucket, c.ttl)
    local lv, sp
    if c.roll then lv, sp = levelNow(c.roll, redis.call('GET', c.marker) or '') else lv, sp = level(c.buckets) end
    table.insert(out, { c.ref, fmt(lv), fmt(sp) })
  end
  for _, t in ipairs(r.tpm) do
    local d = tokens - t.est
    if d ~= 0 and redis.call('EXISTS', t.key) == 1 then redis.call('INCRBY', t.key, string.format('%d', d)) end
  end
  for _, k in ipairs(r.conc) do redis.call('ZREM', k, id) end
  redis.call('DEL', RECORDS .. id)
  redis.call('ZREM', LEASES, id)
  if late then return { levels = out, late = chargeLate(late.l) } end
  return out
end

local results = {}
for i = 1, #ARGV, 5 do
  local split = ARGV[i + 3] ~= '' and cjson.decode(ARGV[i + 3]) or {}
  local late = ARGV[i + 4] ~= '' and cjson.decode(ARGV[i + 4]) or nil
  results[#results + 1] = settle(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), split, late)
end
return cjson.encode(results)
`;

/**
 * ARGV[1]: the new lease end (ms), ARGV[2]: how far off it is (ms), then the ids to renew.
 * Only reservations whose record stands are renewed: one settled or released stays so.
 */
export const RENEW = `${COMMON}
local untilMs, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Later only (ZADD GT needs Redis 6.2).
local function later(key, id)
  local at = tonumber(redis.call('ZSCORE', key, id))
  if at and at < untilMs then redis.call('ZADD', key, ARGV[1], id) end
end
for i = 3, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('GET', RECORDS .. id)
  if raw then
    later(LEASES, id)
    redis.call('PEXPIRE', RECORDS .. id, lease + 60000)
    for _, k in ipairs(cjson.decode(raw).conc) do
      later(k, id)
      if redis.call('PTTL', k) < lease then redis.call('PEXPIRE', k, lease) end
    end
  end
end
return 1
`;

/**
 * ARGV[1]: [{ marker, token, ttl, bucketTtl, amounts: [[bucket, picos]] }] as JSON. Set-if-absent per
 * marker, to a token of its own, so that a rolling window's totals built before know to rebuild.
 */
export const INITIALIZE = `${COMMON}
for _, init in ipairs(cjson.decode(ARGV[1])) do
  if redis.call('SET', init.marker, init.token, 'PX', init.ttl, 'NX') then
    for _, a in ipairs(init.amounts) do
      redis.call('HINCRBY', a[1], 'spent', a[2])
      redis.call('PEXPIRE', a[1], init.bucketTtl)
    end
  end
end
return 1
`;
