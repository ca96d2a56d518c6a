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

const COMMON = `
local LEASES = KEYS[1]
local RECORDS = KEYS[2]

local function level(buckets)
  local s = 0
  for _, b in ipairs(buckets) do
    local v = redis.call('HMGET', b, 'spent', 'held')
    s = s + (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  end
  return s
end

local function fmt(n)
  return string.format('%.0f', n)
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
      if r.amount ~= '0' then redis.call('HINCRBY', c.bucket, 'held', r.neg) end
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
-- Each line's spent + held before this request, read once (a rolling window has 60 buckets).
local before = {}
local function levelOf(l)
  local v = before[l.ref]
  if v == nil then
    v = level(l.buckets)
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
  if not seen[l.marker] and redis.call('EXISTS', l.marker) == 0 then
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
    return cjson.encode({ ok = false, reason = 'spend', ref = bad.ref, level = fmt(badLevel) })
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
  local b = l.buckets[#l.buckets]
  if p.amount ~= '0' then redis.call('HINCRBY', b, 'held', p.amount) end
  redis.call('PEXPIRE', b, l.ttl)
  table.insert(rec.charged, { ref = l.ref, bucket = b, buckets = l.buckets, ttl = l.ttl })
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
 * ARGV: per reservation to settle, four values: its id, actual cost (picos, decimal),
 * actual tokens, and a JSON object of ref -> actual for lines charged another amount (or
 * ''). Returns, as JSON, per reservation [[ref, level]...], or false when already settled.
 */
export const SETTLE = `${COMMON}
local function settle(id, actual, tokens, split)
  local raw = redis.call('GET', RECORDS .. id)
  if not raw then return false end
  local r = cjson.decode(raw)
  local out = {}
  for _, c in ipairs(r.charged) do
    local a = split[c.ref] or actual
    if r.amount ~= '0' then redis.call('HINCRBY', c.bucket, 'held', r.neg) end
    if a ~= '0' then redis.call('HINCRBY', c.bucket, 'spent', a) end
    redis.call('PEXPIRE', c.bucket, c.ttl)
    table.insert(out, { c.ref, fmt(level(c.buckets)) })
  end
  for _, t in ipairs(r.tpm) do
    local d = tokens - t.est
    if d ~= 0 and redis.call('EXISTS', t.key) == 1 then redis.call('INCRBY', t.key, string.format('%d', d)) end
  end
  for _, k in ipairs(r.conc) do redis.call('ZREM', k, id) end
  redis.call('DEL', RECORDS .. id)
  redis.call('ZREM', LEASES, id)
  return out
end

local results = {}
for i = 1, #ARGV, 4 do
  local split = ARGV[i + 3] ~= '' and cjson.decode(ARGV[i + 3]) or {}
  results[#results + 1] = settle(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), split)
end
return cjson.encode(results)
`;

/** ARGV[1]: [{ marker, ttl, bucketTtl, amounts: [[bucket, picos]] }] as JSON. Set-if-absent per marker. */
export const INITIALIZE = `${COMMON}
for _, init in ipairs(cjson.decode(ARGV[1])) do
  if redis.call('SET', init.marker, '1', 'PX', init.ttl, 'NX') then
    for _, a in ipairs(init.amounts) do
      redis.call('HINCRBY', a[1], 'spent', a[2])
      redis.call('PEXPIRE', a[1], init.bucketTtl)
    end
  end
end
return 1
`;
