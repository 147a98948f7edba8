import { createHash } from 'node:crypto';
import type { RedisOrCluster } from './redis-connection.js';
import type { PublishCommand } from './redis-pubsub.js';

/**
 * The Lua scripts of the presence shared through Redis. Each channel has two keys in one hash slot
 * (the channel name is the hash tag): `<prefix>:{<channel>}:p`, a hash clientId → member JSON (the
 * `{"clientId":…,"info":…}` other subscribers see), and `<prefix>:{<channel>}:pz`, a sorted set of the
 * same clientIds scored by when they expire (ms, Redis's clock: one clock for every instance).
 *
 * Each script is atomic, so the one call that adds a member publishes its `join`, and the one call
 * that removes it publishes its `leave`, whichever instance runs it: join/leave at most once, even with
 * two instances sweeping the same expired member at the same moment. Events are published from inside
 * the script on the channel's Redis channel (PUBLISH, or SPUBLISH on a cluster: see `RedisPubSub`), as `<header>join <member JSON>` / `<header>leave
 * {"clientId":…}` (see `presence-envelope.ts`); every instance with subscribers of the channel,
 * this one included, hands them to its channel.
 *
 * KEYS: [p, pz] always. ARGV starts with: redis channel, header, announce ('1' publishes events).
 */

/** Redis's clock in ms, and the sweep: expired members removed, a `leave` for each, by this call only. */
const prelude = (publish: PublishCommand) => `
local redisChannel, header, announce = ARGV[1], ARGV[2], ARGV[3] == '1'
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function leave(clientId)
  if announce then
    redis.call('${publish}', redisChannel, header .. 'leave {"clientId":' .. cjson.encode(clientId) .. '}')
  end
end
local function sweep()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, clientId in ipairs(expired) do
    redis.call('ZREM', KEYS[2], clientId)
    redis.call('HDEL', KEYS[1], clientId)
    leave(clientId)
  end
  return #expired
end
local function add(clientId, member, ttl)
  local added = redis.call('HSET', KEYS[1], clientId, member)
  redis.call('ZADD', KEYS[2], now + ttl, clientId)
  if added == 1 and announce then redis.call('${publish}', redisChannel, header .. 'join ' .. member) end
  return added
end
local function keep(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
`;

/**
 * ARGV: …, clientId, member JSON, ttl ms. Adds or refreshes; returns 1 when the member is new. The
 * keys live `ttl` after the last write: every member's score is at most that far ahead.
 */
const join = (publish: PublishCommand) => `${prelude(publish)}
local added = add(ARGV[4], ARGV[5], tonumber(ARGV[6]))
keep(tonumber(ARGV[6]))
return added`;

/** ARGV: …, clientId. Returns 1 when this call removed the member. */
const leave = (publish: PublishCommand) => `${prelude(publish)}
local removed = redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('HDEL', KEYS[1], ARGV[4])
if removed == 1 then leave(ARGV[4]) end
return removed`;

/**
 * ARGV: …, ttl ms, then clientId, member JSON pairs: the members this instance holds, pushed back
 * `ttl` (re-created after a Redis restart or after another instance swept them: a `join` again), then
 * the sweep. Returns the number of members swept.
 */
const refresh = (publish: PublishCommand) => `${prelude(publish)}
local ttl = tonumber(ARGV[4])
for i = 5, #ARGV, 2 do add(ARGV[i], ARGV[i + 1], ttl) end
if #ARGV >= 5 then keep(ttl) end
return sweep()`;

/** The sweep, then every member's JSON: a query never lists a member past its expiry. */
const list = (publish: PublishCommand) => `${prelude(publish)}
sweep()
return redis.call('HVALS', KEYS[1])`;

/** A script run by its SHA1 (EVALSHA), sent whole only when Redis does not have it yet (NOSCRIPT). */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisOrCluster, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** The presence scripts that publish their events with `publish`. */
function presenceScriptsOf(publish: PublishCommand) {
  return {
    join: new RedisScript(join(publish)),
    leave: new RedisScript(leave(publish)),
    refresh: new RedisScript(refresh(publish)),
    list: new RedisScript(list(publish)),
  } as const;
}

export type PresenceScriptSet = ReturnType<typeof presenceScriptsOf>;

/** The presence scripts of plain pub/sub (one Redis) and of sharded pub/sub (a cluster), by publish command. */
export const PresenceScripts: Readonly<Record<PublishCommand, PresenceScriptSet>> = {
  PUBLISH: presenceScriptsOf('PUBLISH'),
  SPUBLISH: presenceScriptsOf('SPUBLISH'),
};

/** The keys of a channel's presence: one hash slot (the channel name is the hash tag). */
export function presenceKeys(prefix: string, channel: string): [members: string, expiries: string] {
  return [`${prefix}:{${channel}}:p`, `${prefix}:{${channel}}:pz`];
}
