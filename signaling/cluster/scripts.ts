/**
 * The Lua scripts that make a cluster's writes atomic: Redis runs each one whole, with nothing from
 * any other node in between. So two nodes accepting competing releases for one room cannot both win
 * (the second sees the first's seq), and a release is stored, its blobs made permanent and its
 * announcement published in one step: a node killed mid-publish leaves either all of it or none.
 */

/**
 * Accepts a release. KEYS: room record, room seq, room releases. ARGV: key prefix, seq, release JSON,
 * events channel, event JSON, then the sha256 of every blob the release names.
 * Returns `{'ok'}`, `{'stale', lastSeq}`, `{'missing', sha…}` or `{'noroom'}`.
 */
export const COMMIT_RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'noroom'} end
local seq = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if seq <= last then return {'stale', tostring(last)} end
local missing = {}
for i = 6, #ARGV do
  local meta = ARGV[1] .. 'blob:' .. ARGV[i]
  local n = tonumber(redis.call('HGET', meta, 'n') or '-1')
  local whole = n >= 0
  for c = 0, n - 1 do
    if whole and redis.call('EXISTS', meta .. ':' .. c) == 0 then whole = false end
  end
  if not whole then missing[#missing + 1] = ARGV[i] end
end
if #missing > 0 then return {'missing', unpack(missing)} end
for i = 6, #ARGV do
  local meta = ARGV[1] .. 'blob:' .. ARGV[i]
  local n = tonumber(redis.call('HGET', meta, 'n'))
  redis.call('PERSIST', meta)
  for c = 0, n - 1 do redis.call('PERSIST', meta .. ':' .. c) end
end
redis.call('SET', KEYS[2], seq)
redis.call('ZADD', KEYS[3], seq, ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {'ok'}
`;

/**
 * Creates a room or rewrites its record, only if nobody wrote it since the writer read it.
 * KEYS: room record, room version, rooms set. ARGV: the version the writer read (0: create), record
 * JSON, events channel, event JSON, room name. Returns `{'ok', version}` or `{'stale', version}`.
 */
export const SAVE_ROOM = `
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
if v ~= tonumber(ARGV[1]) then return {'stale', tostring(v)} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], v + 1)
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {'ok', tostring(v + 1)}
`;

/**
 * Completes a blob whose chunks are written (each with SET … EX … NX): writes its meta with the same
 * expiry. When the blob was there already, refreshes the expiry of an unpublished one (EXPIRE GT
 * never shortens, and never touches a permanent key). KEYS: blob meta. ARGV: ttl seconds, size,
 * chunk count. Returns 1 when new, 0 when it was there.
 */
export const PUT_BLOB_META = `
local ttl = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
  redis.call('EXPIRE', KEYS[1], ttl, 'GT')
  for c = 0, n - 1 do redis.call('EXPIRE', KEYS[1] .. ':' .. c, ttl, 'GT') end
  return 0
end
redis.call('HSET', KEYS[1], 'size', ARGV[2], 'n', ARGV[3])
redis.call('EXPIRE', KEYS[1], ttl)
return 1
`;
