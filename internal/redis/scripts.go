package redis

import goredis "github.com/redis/go-redis/v9"

// The flusher's scripts (claim, ack, release, drop) carry the allow-oom
// flag: they are what frees memory, by turning queued records into clean,
// evictable ones, so they must run when Redis is out of memory.

// rev orders the states of one record: a higher version, or the delete of
// the same version, is newer (mangahub.Progress.Newer).
const luaRev = `
local function rev(r)
  local v, d = string.match(r, '^(%d+)|(%d)|')
  return tonumber(v) * 2 + tonumber(d)
end
local function keepTTL(lib, ttl)
  if tonumber(redis.call('HGET', lib, '~d') or '0') <= 0 then
    redis.call('PEXPIRE', lib, ttl)
  end
end
`

// casScript is the write-behind compare-and-set: store, queue, publish.
// The new record continues the stored one's history, so it takes over its
// base (0 for a record that had none).
// KEYS: lib, queue. ARGV: field, expected state ("" = no record), record
// without its base, queue member, now (ms), channel, event.
// Returns 1 applied, 0 another state is stored, -1 library not loaded.
var casScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], '~') == 0 then return -1 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local base = '0'
if ARGV[2] == '' then
  if cur then return 0 end
else
  if not cur then return 0 end
  if string.sub(cur, 1, #ARGV[2] + 1) ~= ARGV[2] .. '|' then return 0 end
  base = string.match(cur, '|(%d+)$')
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '|' .. base)
if redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[4]) == 1 then
  redis.call('HINCRBY', KEYS[1], '~d', 1)
end
redis.call('PERSIST', KEYS[1])
redis.call('SPUBLISH', ARGV[6], ARGV[7])
return 1
`)

// mergeScript keeps the cache in step with a committed change: newer wins.
// KEYS: lib. ARGV: field, record, ttl (ms), channel, event.
var mergeScript = goredis.NewScript(luaRev + `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (not cur) or rev(ARGV[2]) > rev(cur) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
keepTTL(KEYS[1], ARGV[3])
redis.call('SPUBLISH', ARGV[4], ARGV[5])
return 1
`)

// fillScript loads a library read from the durable store, keeping newer
// states already cached and queued records (the flush settles those with
// the durable store, divergences included), and marks it complete.
// KEYS: lib, queue. ARGV: ttl (ms), queue member prefix ("<user>|"), then
// field, record pairs.
var fillScript = goredis.NewScript(luaRev + `
for i = 3, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if (not cur) or (rev(ARGV[i + 1]) > rev(cur) and not redis.call('ZSCORE', KEYS[2], ARGV[2] .. ARGV[i])) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], '~', '1')
keepTTL(KEYS[1], ARGV[1])
return 1
`)

// claimScript takes a shard's lease and returns its oldest queued records.
// KEYS: queue, lease. ARGV: claim token, lease (ms), n, library key prefix.
// Returns {0} when another flusher holds the lease, else {1, member,
// record, queued at (ms), ...}. Queued members without a record (lost with a Redis that
// lost its data) are dropped.
var claimScript = goredis.NewScript(`#!lua flags=allow-oom
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {0} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local out = {1}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)) do
  local i = string.find(m, '|[^|]*$')
  local rec = redis.call('HGET', ARGV[4] .. string.sub(m, 1, i - 1), string.sub(m, i + 1))
  if rec then
    out[#out + 1] = m
    out[#out + 1] = rec
    out[#out + 1] = redis.call('ZSCORE', KEYS[1], m)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
`)

// ackScript ends a claim: it removes each entry whose record is still the
// one written (a record changed meanwhile stays queued), parks rejected
// records in the dead-letter list (and out of the cache), drops rejected
// deletes (their record went with its parent), lets clean libraries expire
// again and releases the lease.
// KEYS: queue, lease, dead. ARGV: claim token, library key prefix, ttl (ms),
// then member, record, outcome ("0" written, "1" parked, "2" dropped, "3"
// diverged: left queued) triples.
var ackScript = goredis.NewScript(`#!lua flags=allow-oom
for i = 4, #ARGV, 3 do
  local m, rec = ARGV[i], ARGV[i + 1]
  local j = string.find(m, '|[^|]*$')
  local lib, field = ARGV[2] .. string.sub(m, 1, j - 1), string.sub(m, j + 1)
  if ARGV[i + 2] ~= '3' and redis.call('HGET', lib, field) == rec then
    redis.call('ZREM', KEYS[1], m)
    if ARGV[i + 2] == '1' then
      redis.call('RPUSH', KEYS[3], m .. '|' .. rec)
      redis.call('LTRIM', KEYS[3], -10000, -1)
    end
    if ARGV[i + 2] ~= '0' then redis.call('HDEL', lib, field) end
    if redis.call('HINCRBY', lib, '~d', -1) <= 0 then
      redis.call('HDEL', lib, '~d')
      redis.call('PEXPIRE', lib, ARGV[3])
    end
  end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`)

// releaseScript gives a lease back if it is still ours. KEYS: lease.
// ARGV: claim token.
var releaseScript = goredis.NewScript(`#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

// dropMangaScript removes one manga's records from a shard: its queue
// entries (and the queued counts of their libraries) and the field of
// every library named or queued.
// KEYS: queue. ARGV: library key prefix, manga id, ttl (ms), then users.
var dropMangaScript = goredis.NewScript(`#!lua flags=allow-oom
local suffix = '|' .. ARGV[2]
local users = {}
for i = 4, #ARGV do users[ARGV[i]] = true end
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, -#suffix) == suffix then
    local user = string.sub(m, 1, #m - #suffix)
    users[user] = true
    redis.call('ZREM', KEYS[1], m)
    local lib = ARGV[1] .. user
    if redis.call('HINCRBY', lib, '~d', -1) <= 0 then
      redis.call('HDEL', lib, '~d')
      redis.call('PEXPIRE', lib, ARGV[3])
    end
  end
end
for user in pairs(users) do redis.call('HDEL', ARGV[1] .. user, ARGV[2]) end
return 1
`)

// reconcileScript replaces a diverged queued record by the state that
// settles the divergence, if the library still holds exactly the old one
// (otherwise a newer change came meanwhile, and the next flush looks
// again), and publishes it. The queue entry stays.
// KEYS: lib, queue. ARGV: field, old record, new record, queue member, now
// (ms), channel, event. Returns 1 replaced, 0 not.
var reconcileScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[4])
redis.call('SPUBLISH', ARGV[6], ARGV[7])
return 1
`)
