/**
 * The Lua scripts of the Redis history store (see `RedisHistoryStore`). Each runs atomically in Redis:
 * nothing else happens between its commands, on any instance. The keys of one channel share the hash tag
 * `{<channel>}`, so a script only ever touches one hash slot (Redis Cluster runs it as it is).
 *
 * KEYS[1] is the stream (`<prefix>:{<channel>}:h`, entries with id `<offset>-0` and field `d` = the data's
 * JSON text), KEYS[2] the meta (`<prefix>:{<channel>}:m`, hash: `e` epoch, `s` top offset, `c` createdAt ms
 * by Redis's clock, `r` the incarnation of Redis that created it, and on a Redis Cluster `n` the id of the node
 * that created it, see `SAME_NODE`).
 */

import type { PublishCommand } from './redis-pubsub.js';

/** Redis's clock in whole milliseconds, as a decimal string (never `1.7e+12`). */
const NOW_MS = `local clock = redis.call('TIME')
local now = string.format('%d', clock[1] * 1000 + math.floor(clock[2] / 1000))`;

/**
 * The incarnation the caller gives (`incarnationArg`), or, when it is '' (on a Redis Cluster, where each
 * channel lives on the master of its slot), the `run_id` of the node running the script (its first 12
 * characters, as `RedisHistoryStore` keeps them). Read from the node itself, in the script, so that it is the
 * incarnation of the node that holds the keys, even while the slot moves to another node.
 */
const incarnationOf = (incarnationArg: string) => `local incarnation = ${incarnationArg}
if incarnation == '' then
  incarnation = string.sub(string.match(redis.call('INFO', 'server'), 'run_id:(%x+)'), 1, 12)
end`;

/**
 * On a Redis Cluster (incarnation argument ''), whether the meta `meta` (HMGET's value of `n`) was created on
 * the node running the script. When it was not, the slot moved since: a failover (a replica promoted after a
 * `kill -9` may lack the last writes of its master, replication being asynchronous: the same epoch would go on
 * with offsets given twice to different publications) or a migration. Such a stream is treated as lost: a new
 * epoch at the next publication, `recovered: false` for the positions in the old one, never a replay with a hole.
 * One `CLUSTER MYID` per script (measured: no cost against a bare script; `INFO` halves the throughput).
 */
const sameNode = (incarnationArg: string, nodeOfMeta: string) =>
  `(${incarnationArg} ~= '' or ${nodeOfMeta} == redis.call('CLUSTER', 'MYID'))`;

/**
 * Stores one publication and publishes it, in one step: the offset, the entry and the live publication
 * cannot disagree, whatever the number of instances appending at once.
 *
 * ARGV: data, size, ttlMs, metaTtlMs, redisChannel, header, epochSuffix, incarnation ('' on a cluster: the node's).
 * Returns `{top, epoch}`.
 *
 * A missing meta (first publication, or the meta expired, or Redis lost it, or on a cluster the slot moved to
 * another node: see `sameNode`) starts a new stream with the epoch `<incarnation><epochSuffix>`; the old entries, if any are left, are deleted: XADD refuses an id below the stream's last,
 * and they belong to the lost epoch anyway. MAXLEN is exact (no `~`): "older than the history" must be
 * decided on the exact bound. The publication (`publish`: PUBLISH, or SPUBLISH on a cluster, see
 * `RedisPubSub`) carries the offset and epoch after the header the instance built (`h1 <sender> [mac]\n`,
 * see stream-envelope.ts).
 */
export const appendScript = (publish: PublishCommand): string => `local meta = redis.call('HMGET', KEYS[2], 'e', 'n')
local epoch = meta[1]
if epoch and not ${sameNode('ARGV[8]', 'meta[2]')} then
  epoch = false
  redis.call('DEL', KEYS[2])
end
if not epoch then
  ${NOW_MS.replace(/\n/g, '\n  ')}
  ${incarnationOf('ARGV[8]').replace(/\n/g, '\n  ')}
  redis.call('DEL', KEYS[1])
  epoch = incarnation .. ARGV[7]
  redis.call('HSET', KEYS[2], 'e', epoch, 'c', now, 'r', incarnation)
  if ARGV[8] == '' then redis.call('HSET', KEYS[2], 'n', redis.call('CLUSTER', 'MYID')) end
end
local top = redis.call('HINCRBY', KEYS[2], 's', 1)
local offset = string.format('%d', top)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], offset .. '-0', 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('${publish}', ARGV[5], ARGV[6] .. offset .. ' ' .. epoch .. '\\n' .. ARGV[1])
return {top, epoch}`;

/**
 * Reads the meta, the first offset still retained and Redis's clock, and the entries after `since` when
 * they may be wanted: the epoch asked is this stream's (or an empty-stream token, which the caller checks),
 * and `since` is within what is retained. The caller decides with `canRecover`; one round trip either way.
 *
 * ARGV: sinceOffset (-1: no entries wanted), sinceEpoch ('' when none), incarnation ('' on a cluster: the node's).
 * Returns `{now, incarnation}` when there is no meta (or, on a cluster, one of another node: see `sameNode`), else `{now, incarnation, epoch, top, createdAt,
 * metaIncarnation, firstRetained, entries}` with entries as XRANGE gives them (`{id, {'d', data}}`).
 */
export const READ_SCRIPT = `${NOW_MS}
${incarnationOf('ARGV[3]')}
local meta = redis.call('HMGET', KEYS[2], 'e', 's', 'c', 'r', 'n')
if not meta[1] or not ${sameNode('ARGV[3]', 'meta[5]')} then return {now, incarnation} end
local top = tonumber(meta[2])
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local firstRetained = top + 1
if first[1] then firstRetained = tonumber(string.match(first[1][1], '^(%d+)')) end
local since = tonumber(ARGV[1])
local entries = {}
local sameStream = ARGV[2] == meta[1] or string.sub(ARGV[2], 1, 1) == '~'
if sameStream and since >= firstRetained - 1 and since < top then
  entries = redis.call('XRANGE', KEYS[1], string.format('%d', since + 1) .. '-0', '+')
end
return {now, incarnation, meta[1], meta[2], meta[3] or '0', meta[4] or '', string.format('%d', firstRetained), entries}`;
