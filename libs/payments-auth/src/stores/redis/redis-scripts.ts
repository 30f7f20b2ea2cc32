/*
 * The store's Lua scripts. Each touches the keys it is given and nothing else, and a record's keys share one
 * hash slot (redis-keys.ts), so every script runs on one node of a Redis Cluster.
 */

/** Write only if the stored version is older: a stale writer never overwrites a newer token. */
export const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Takes every lease name given (the current one, and on a single Redis also the 0.x one) or none. */
export const ACQUIRE_LEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 1`;

/**
 * Extend the lease if we own it, or re-take it if it vanished (Redis restarted empty while our token call ran):
 * otherwise another instance could take the missing lease and refresh with the same refresh token.
 */
export const EXTEND_LEASE = `
for _, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current ~= false and current ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 1`;

/** Delete the lease only if we still own it (it may have expired and been taken by another instance). */
export const RELEASE_LEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0`;

/**
 * The run_id of the server process that runs the script: a new one after every restart, and another one on a
 * promoted replica. Read inside the script so that on a Redis Cluster it is the run_id of the node that holds
 * the key. '' when INFO is refused (ACLs): then only an emptied store is detected.
 */
const RUN_ID = `
local ok, info = pcall(redis.call, 'INFO', 'server')
local runId = ''
if ok and type(info) == 'string' then runId = string.match(info, 'run_id:(%x+)') or '' end`;

/** Returns { run_id, marker or nothing }. */
export const READ_GENERATION = `${RUN_ID}
local current = redis.call('GET', KEYS[1])
if current then return { runId, current } end
return { runId }`;

/**
 * Keep the generation marker if it was written while this server process (its run_id) was running; otherwise
 * (the server restarted, from an AOF or RDB file that may miss the last writes, or a replica took over) write a
 * new one, so every instance sees a new generation and puts back what it holds.
 */
export const CLAIM_GENERATION = `${RUN_ID}
local current = redis.call('GET', KEYS[1])
if current then
  local ok, marker = pcall(cjson.decode, current)
  if ok and type(marker) == 'table' and (runId == '' or marker.runId == runId) then return current end
end
local claimed = cjson.encode({ id = ARGV[1], createdAt = tonumber(ARGV[2]), runId = runId })
redis.call('SET', KEYS[1], claimed)
return claimed`;

/** Replaces the record whatever is stored (stores without compare-and-set semantics: `set`). */
export const SET_RECORD = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * Reseal: replaces the payload only if it is still the one that was read and resealed, so a write that landed
 * meanwhile is never overwritten. The version stays, and so does the TTL: HSET on an existing hash keeps it.
 */
export const RESEAL_RECORD = `
if redis.call('HGET', KEYS[1], 'd') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[2])
return 1`;

/**
 * ACQUIRE_LEASE and, only when the lease is taken, what a renewal reads next, in the same round trip: the record
 * (KEYS[#KEYS]) and, when ARGV[3] names one, the generation marker with the run_id of the server (as
 * READ_GENERATION). On a Redis Cluster that marker is the one of the master holding the record's slot, read
 * undeclared because it lives in another slot of the same node. Every read comes before the lease is written, so
 * a marker no longer local (its slot moved) or a record of the wrong type fails the script before it writes. A lease held elsewhere costs only
 * the EXISTS checks (waiters poll with this script). Returns { 0 } or { 1, v, d, runId, marker }.
 */
export const ACQUIRE_AND_READ = `
local leases = #KEYS - 1
for i = 1, leases do
  if redis.call('EXISTS', KEYS[i]) == 1 then return { 0 } end
end
local runId, marker = '', false
if ARGV[3] ~= '' then
  marker = redis.call('GET', ARGV[3])
  local ok, info = pcall(redis.call, 'INFO', 'server')
  if ok and type(info) == 'string' then runId = string.match(info, 'run_id:(%x+)') or '' end
end
local record = redis.call('HMGET', KEYS[#KEYS], 'v', 'd')
for i = 1, leases do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
return { 1, record[1], record[2], runId, marker }`;
