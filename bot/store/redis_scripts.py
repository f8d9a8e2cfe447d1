"""Lua scripts behind `RedisStore`: every multi-key change that must land whole runs as one.

Why scripts rather than MULTI: a script runs atomically *and* can branch on what it reads
(dedupe, claim tokens, versions), and Redis writes its effects to the AOF as one MULTI/EXEC
block, so a crash never leaves half of one (a seen-marker without its stream entry, a claim
without its attempt count). Times that drive the queue (backoff, dead-letter time) come
from Redis `TIME`, the one clock every worker shares; reservations use the caller's clock.

Queue scripts share one key layout (the order of `RedisIntake._keys`):
stream, attempts (hash key→count), tokens (hash key→current delivery id), delayed (zset
key→due ms), parked (hash key→body of messages off the stream: delayed or dead), dead
(hash key→DeadLetter JSON), dead_by_time (zset key→failed ms), seq (claim counter), bodies
(hash key→body of messages on the stream).

Why bodies live in a hash and not in the stream entry: an erasure must rewrite a message that is
still waiting, and a stream entry cannot be edited in place (re-adding it would lose its place and
its pending state). The entry holds only the key; entries written before this layout still carry
the body inline ('b') and are read from there when the hash has none.
"""

from __future__ import annotations

_QUEUE_PRELUDE = """
local stream, attempts_h, tokens_h, delayed_z, parked_h, dead_h, dead_z, seq_k, bodies_h = unpack(KEYS)

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The dead letter holds only its metadata; the body stays verbatim in `parked_h`, so the
-- message is never re-encoded by cjson (which would round large integers in `raw`) and a
-- body that cannot be loaded never makes the letter itself unreadable.
local function dead_letter(key, body, attempts, err, now)
  local letter = '{"key":' .. cjson.encode(key) .. ',"attempts":' .. attempts .. ',"error":'
    .. cjson.encode(err) .. ',"failed_at":' .. string.format('%.3f', now / 1000) .. '}'
  redis.call('HSET', parked_h, key, body)
  redis.call('HSET', dead_h, key, letter)
  redis.call('ZADD', dead_z, now, key)
  redis.call('HDEL', attempts_h, key)
  redis.call('HDEL', tokens_h, key)
  redis.call('HDEL', bodies_h, key)
end

-- The body of a stream entry: the hash first (an erasure rewrites it there), then the entry's
-- own inline copy (older layout); '' when neither has it, which fails to load and is
-- dead-lettered like any unreadable body rather than vanishing.
local function entry_body(key, fields)
  return redis.call('HGET', bodies_h, key) or (fields and fields[4]) or ''
end
"""

# KEYS: stream, bodies, then (msg:{key}, author's queued set) per message.
# ARGV: window_ms, then (key, body) per message.
# The seen-marker doubles as the `get_message` copy; XADD goes first so that a failure
# between the two can only cause a later duplicate, never a marker without an entry.
# The author's set names the keys an erasure must reach before they are acked.
ENQUEUE = """
local out = {}
for j = 1, (#KEYS - 2) / 2 do
  local seen, author = KEYS[2 * j + 1], KEYS[2 * j + 2]
  local key, body = ARGV[2 * j], ARGV[2 * j + 1]
  if redis.call('EXISTS', seen) == 1 then
    out[j] = 0
  else
    redis.call('HSET', KEYS[2], key, body)
    redis.call('XADD', KEYS[1], '*', 'k', key)
    redis.call('SADD', author, key)
    redis.call('SET', seen, body, 'PX', ARGV[1])
    out[j] = 1
  end
end
return out
"""

# ARGV: group, consumer, count, visibility_ms, max_attempts, dead-letter error.
# Returns {delivery_id, body, attempts, key} per claim. Attempts live in `attempts_h`, not in the
# stream's delivery counter, so that release can give one back and a retry re-added to the
# stream keeps its count.
CLAIM = (
    _QUEUE_PRELUDE
    + """
local group, consumer = ARGV[1], ARGV[2]
local want, visibility, max_attempts = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()

for _, key in ipairs(redis.call('ZRANGEBYSCORE', delayed_z, '-inf', now, 'LIMIT', 0, 1000)) do
  local body = redis.call('HGET', parked_h, key)
  redis.call('ZREM', delayed_z, key)
  redis.call('HDEL', parked_h, key)
  if body then
    redis.call('HSET', bodies_h, key, body)
    redis.call('XADD', stream, '*', 'k', key)
  end
end

local entries = {}
local function collect(list)
  for _, e in ipairs(list) do
    if e[2] then table.insert(entries, e) else redis.call('XACK', stream, group, e[1]) end
  end
end
local function read(from, n)
  local r = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', stream, from)
  if type(r) == 'table' and r.err then
    -- NOGROUP: clear() unlinked the stream and enqueue re-created it without its group.
    -- Any other error is raised again by the retry below.
    redis.pcall('XGROUP', 'CREATE', stream, group, '0')
    r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', stream, from)
  end
  if r then collect(r[1][2]) end
end

if redis.call('EXISTS', stream) == 0 then return {} end
read('0', want)
local cursor = '0-0'
while #entries < want do
  local r = redis.call('XAUTOCLAIM', stream, group, consumer, visibility, cursor, 'COUNT', want - #entries)
  collect(r[2])
  cursor = r[1]
  if cursor == '0-0' then break end
end
if #entries < want then read('>', want - #entries) end

local seq = redis.call('INCR', seq_k)
local out = {}
for _, e in ipairs(entries) do
  local id, key = e[1], e[2][2]
  local body = entry_body(key, e[2])
  local n = tonumber(redis.call('HGET', attempts_h, key) or '0')
  if n >= max_attempts then
    redis.call('XACK', stream, group, id)
    redis.call('XDEL', stream, id)
    dead_letter(key, body, n, ARGV[6], now)
  else
    local token = id .. '#' .. seq
    redis.call('HSET', attempts_h, key, n + 1)
    redis.call('HSET', tokens_h, key, token)
    table.insert(out, {token, body, n + 1, key})
  end
end
return out
"""
)

# KEYS: the queue keys, then the author's queued set per claim.
# ARGV: group, then (key, entry id, delivery id) per claim. A stale delivery is ignored.
ACK = (
    _QUEUE_PRELUDE
    + """
for i = 2, #ARGV, 3 do
  local key, id, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', tokens_h, key) == token then
    redis.call('XACK', stream, ARGV[1], id)
    redis.call('XDEL', stream, id)
    redis.call('HDEL', attempts_h, key)
    redis.call('HDEL', tokens_h, key)
    redis.call('HDEL', bodies_h, key)
    redis.call('SREM', KEYS[9 + (i + 1) / 3], key)
  end
end
return 0
"""
)

# ARGV: group, holder consumer, then (key, entry id, delivery id) per claim.
# The entry stays where it is in the stream (order kept) but moves to a holder consumer
# with an idle time as old as the epoch, so the next claim's XAUTOCLAIM takes it at once;
# the attempt it cost is given back.
RELEASE = (
    _QUEUE_PRELUDE
    + """
local now = now_ms()
for i = 3, #ARGV, 3 do
  local key, id, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', tokens_h, key) == token then
    redis.call('XCLAIM', stream, ARGV[1], ARGV[2], 0, id, 'IDLE', now, 'JUSTID')
    redis.call('HINCRBY', attempts_h, key, -1)
    redis.call('HDEL', tokens_h, key)
  end
end
return 0
"""
)

# ARGV: group, key, entry id, delivery id, error, max_attempts, backoff_ms, fallback body.
# Returns 1 dead-lettered, 0 parked for a retry, -1 stale delivery (nothing changed).
FAIL = (
    _QUEUE_PRELUDE
    + """
local key, id = ARGV[2], ARGV[3]
if redis.call('HGET', tokens_h, key) ~= ARGV[4] then return -1 end
local n = tonumber(redis.call('HGET', attempts_h, key) or '0')
local entry = redis.call('XRANGE', stream, id, id)[1]
local body = redis.call('HGET', bodies_h, key) or (entry and entry[2][4]) or ARGV[8]
redis.call('HDEL', bodies_h, key)
redis.call('XACK', stream, ARGV[1], id)
redis.call('XDEL', stream, id)
redis.call('HDEL', tokens_h, key)
local now = now_ms()
if n >= tonumber(ARGV[6]) then
  dead_letter(key, body, n, ARGV[5], now)
  return 1
end
redis.call('HSET', parked_h, key, body)
redis.call('ZADD', delayed_z, now + tonumber(ARGV[7]), key)
return 0
"""
)

# ARGV: key. Back on the stream with attempts reset; 0 if not a dead letter.
REQUEUE_DEAD = (
    _QUEUE_PRELUDE
    + """
local key = ARGV[1]
local body = redis.call('HGET', parked_h, key)
if redis.call('HEXISTS', dead_h, key) == 0 or not body then return 0 end
redis.call('HDEL', dead_h, key)
redis.call('ZREM', dead_z, key)
redis.call('HDEL', parked_h, key)
redis.call('HDEL', attempts_h, key)
redis.call('HDEL', tokens_h, key)
redis.call('HSET', bodies_h, key, body)
redis.call('XADD', stream, '*', 'k', key)
return 1
"""
)

# KEYS: hash. ARGV: field, expected value, new value. Rewrites the field only if it still holds
# what the caller read, so an erasure never re-creates a body an ack deleted meanwhile.
REPLACE_FIELD = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""

# KEYS: reservation. ARGV: now, until (caller's clock, epoch seconds), expiry_ms (wall clock,
# garbage collection only: the comparison with the caller's `now` decides), owner ('' = none).
# The value is "until" or "until|owner"; a reservation held by the same owner counts as free.
RESERVE = """
local held = redis.call('GET', KEYS[1])
if held then
  local bar = string.find(held, '|', 1, true)
  local held_until = tonumber(bar and string.sub(held, 1, bar - 1) or held)
  local held_by = bar and string.sub(held, bar + 1) or ''
  if held_until and held_until > tonumber(ARGV[1]) and (ARGV[4] == '' or held_by ~= ARGV[4]) then
    return 0
  end
end
local value = ARGV[2]
if ARGV[4] ~= '' then value = value .. '|' .. ARGV[4] end
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
return 1
"""

# KEYS: lease. ARGV: owner, ttl_ms. Free (or expired, which Redis removed) → taken; held by the
# same owner → extended. 1 when `owner` holds it afterwards.
LEASE_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""

# KEYS: lease. ARGV: owner, ttl_ms. Extends only the owner's own lease.
LEASE_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""

# KEYS: lease. ARGV: owner. Deletes only the owner's own lease.
LEASE_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""
