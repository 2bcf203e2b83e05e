/**
 * The Lua scripts that hold per-address limits for a whole cluster (cluster-limits.ts): each one
 * decides in one round trip, atomically, on Redis' clock (so nodes' clocks need not agree).
 */

/** Redis' clock in ms, at the top of a script. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * A node is alive: its lease runs `ttl` ms more; leases past their end are dropped. KEYS: nodes zset.
 * ARGV: node, ttl. Returns the number of nodes alive.
 */
export const NODE_ALIVE = `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
`;

/**
 * One more connection of an address, if the cluster holds fewer than the limit. Counts live in a
 * hash per address, a field per node; a field of a node whose lease ended is dropped (a dead node's
 * connections free up). KEYS: the address' hash, nodes zset. ARGV: node, limit, hash ttl (ms).
 * Returns {1, held} when admitted, {0, held} when not.
 */
export const ACQUIRE = `${NOW}
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local node, count = fields[i], tonumber(fields[i + 1])
  local lease = redis.call('ZSCORE', KEYS[2], node)
  if node == ARGV[1] or (lease and tonumber(lease) >= now) then
    total = total + count
  else
    redis.call('HDEL', KEYS[1], node)
  end
end
if total >= tonumber(ARGV[2]) then return {0, total} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, total + 1}
`;

/** One connection of an address closed. KEYS: the address' hash. ARGV: node. */
export const RELEASE = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
`;

/**
 * Takes up to `want` tokens of an address' shared token bucket (`burst` at most, refilled at
 * `perSecond`). KEYS: the bucket. ARGV: perSecond, burst, want. Returns the tokens taken (0: empty).
 */
export const TAKE_TOKENS = `${NOW}
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local got = math.min(want, math.floor(tokens))
tokens = tokens - got
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return got
`;

/**
 * Reserves one of an address' open-room creations if it made fewer than `max`. KEYS: the counts
 * hash. ARGV: address, max. Returns 1 when reserved, 0 when over.
 */
export const RESERVE_ROOM = `
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
`;

/** Gives back a reservation whose room was not created. KEYS: the counts hash. ARGV: address. */
export const UNRESERVE_ROOM = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
`;
