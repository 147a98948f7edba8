import { Buffer } from 'node:buffer';
import { isClusterClient, type RedisOrCluster } from './redis-connection.js';
import type { RedisPubSub } from './redis-pubsub.js';
import type {
  HistoryLimits,
  HistoryRead,
  HistoryStore,
  StoredPublication,
  StreamPosition,
} from '../interfaces/channel-stream.interface.js';
import { historyPublicationTooLarge, historyUnreachable } from '../logging/log.messages.js';
import { HistoryUnavailableError } from '../protocol/errors.js';
import { canRecover, emptyStreamToken, type StreamMeta } from '../channels/recovery-check.js';
import { CommandDeadline } from './command-deadline.js';
import { appendScript, READ_SCRIPT } from './redis-history-scripts.js';
import type { StreamEnvelope } from './stream-envelope.js';

/**
 * Why a history operation could not be done: Redis unreachable, not answering fast enough (the window
 * is full), an error reply, or no answer within `commandTimeoutMs` (the append may still run later).
 */
export type HistoryFailure = 'down' | 'backlog' | 'error' | 'timeout';

/** What the store needs of the broker that owns it (the broker's connection, bounds and bookkeeping). */
export interface RedisHistoryLink {
  readonly prefix: string;
  readonly envelope: StreamEnvelope;
  /**
   * Room for a command of `size` bytes in the window shared with the broker's plain publications (one bound on
   * what waits for Redis); false when there is none.
   */
  reserve(size: number): boolean;
  /** Gives the room back once Redis answered (`answered`) or the command failed. */
  release(size: number, answered: boolean): void;
  readonly maxMessageBytes: number;
  /** How long a caller waits for Redis's answer to one command (`commandTimeoutMs`). */
  readonly commandTimeoutMs: number;
  /** How channels map to Redis pub/sub (plain, or sharded on a cluster). */
  readonly pubSub: RedisPubSub;
  /** An append failed: counted and logged by the broker (once per outage). */
  appendFailed(channel: string, failure: HistoryFailure, error?: unknown): void;
  /** The store used `channel`: it has history (a plain `v1` publication on it is refused). */
  usedHistory(channel: string): void;
  /** The incarnation of Redis is known again (after a (re)connect). */
  incarnationKnown(): void;
}

type AppendReply = [top: number, epoch: string];
/**
 * `[now, incarnation]`, or `[now, incarnation, epoch, top, createdAt, metaIncarnation, firstRetained, entries]`
 * (see READ_SCRIPT).
 */
type ReadReply = [string, string] | [string, string, string, string, string, string, string, Array<[string, string[]]>];

interface HistoryCommands {
  socketApiHistoryAppend(stream: string, meta: string, ...args: Array<string | number>): Promise<AppendReply>;
  socketApiHistoryRead(
    stream: string,
    meta: string,
    sinceOffset: number,
    sinceEpoch: string,
    incarnation: string,
  ): Promise<ReadReply>;
}

/** Characters of Redis's `run_id` kept as its incarnation: enough to tell two runs apart. */
const INCARNATION_LENGTH = 12;

/**
 * The incarnation given to the scripts on a Redis Cluster: none, each script reads the `run_id` of the node it
 * runs on (the master of the channel's slot, see `incarnationOf` in redis-history-scripts.ts).
 */
const PER_NODE_INCARNATION = '';

/**
 * The history of channels in Redis, shared by every instance of the app (design §3.5). Per concrete
 * channel, two keys in one hash slot (`{<channel>}` is the hash tag, so Redis Cluster needs nothing more):
 * `<prefix>:{<channel>}:h`, a stream of the last `size` publications (id `<offset>-0`, expiring `ttl` after
 * the last one), and `<prefix>:{<channel>}:m`, the meta (epoch, top offset, createdAt, incarnation; expiring
 * `metaTtl` after the last publication or `touch`).
 *
 * - `append` is one Lua script: the offset is incremented, the entry added (MAXLEN exact) and expiries set,
 *   and the publication PUBLISHed with its offset (`h1`) — atomically, so that offsets are +1 per
 *   publication across every instance, and the entry and the live publication never disagree. Every
 *   instance, this one included, delivers it when the PUBLISH comes back (see `RedisBroker`).
 * - The epoch of a stream is created with its meta and changes when Redis loses it: flushed, or restarted
 *   without persistence (a new meta gets a new epoch; the incarnation, Redis's `run_id`, tells a restart).
 *   On a Redis Cluster the incarnation is the `run_id` of the master that holds the channel's slot, read by
 *   the scripts: after a failover it is the promoted replica's, so an empty-stream position taken before
 *   it is not recovered (`recovered: false`), while a stream whose meta the replica holds keeps its epoch.
 * - While Redis is down (or not answering within the broker's `maxPendingBytes`), `append` rejects at once
 *   with `HistoryUnavailableError`: nothing is queued, and nothing goes out without an offset. An append in
 *   flight when the connection drops rejects too, though Redis may have run it (at most once, never twice).
 * - Every command's caller waits at most `commandTimeoutMs` (a Redis that accepts TCP but does not answer):
 *   `read` and `touch` then reject with `HistoryUnavailableError`, and so does `append`, whose script may
 *   still run when Redis answers: the publication is then stored and delivered, though reported failed.
 *   What waits for Redis stays bounded meanwhile: an append's room in the window is given back only
 *   when Redis answers or the connection drops.
 */
export class RedisHistoryStore implements HistoryStore {
  private client?: RedisOrCluster & HistoryCommands;
  /**
   * Redis's run id (its first characters) on the current connection; undefined until read after each connect;
   * `PER_NODE_INCARNATION` on a cluster.
   */
  private incarnation?: string;
  /** Makes each new epoch unique (see `newEpoch`). */
  private epochs = 0;
  /**
   * The last read of the incarnation, settled either way: the broker's `connect()` awaits it, so that an
   * app that listens can append at once (before it, every append is refused as if Redis were down).
   */
  incarnationRead: Promise<void> = Promise.resolve();

  private readonly deadline: CommandDeadline;

  constructor(private readonly link: RedisHistoryLink) {
    this.deadline = new CommandDeadline(link.commandTimeoutMs);
  }

  /** Uses `client` (the broker's publisher) from now on; returns what stops listening to it. */
  attach(client: RedisOrCluster): () => void {
    client.defineCommand('socketApiHistoryAppend', {
      numberOfKeys: 2,
      lua: appendScript(this.link.pubSub.publishCommand),
    });
    client.defineCommand('socketApiHistoryRead', { numberOfKeys: 2, lua: READ_SCRIPT });
    this.client = client as RedisOrCluster & HistoryCommands;
    const onReady = () => this.readIncarnation(client);
    const onClose = () => (this.incarnation = undefined);
    client.on('ready', onReady);
    client.on('close', onClose);
    if (client.status === 'ready') this.readIncarnation(client);
    return () => {
      client.off('ready', onReady);
      client.off('close', onClose);
    };
  }

  /** Whether appends and reads can be sent now. */
  get available(): boolean {
    return this.client?.status === 'ready' && this.incarnation !== undefined;
  }

  /** The stream's key of a channel. */
  streamKey(channel: string): string {
    return `${this.link.prefix}:{${channel}}:h`;
  }

  /** The meta's key of a channel (same hash slot as its stream). */
  metaKey(channel: string): string {
    return `${this.link.prefix}:{${channel}}:m`;
  }

  append(channel: string, data: string, limits: HistoryLimits): Promise<StreamPosition> {
    const client = this.client;
    const incarnation = this.incarnation;
    if (!client || client.status !== 'ready' || incarnation === undefined) return this.appendFailed(channel, 'down');
    const redisChannel = this.link.pubSub.channel(channel);
    const header = this.link.envelope.historyHeader(redisChannel, data);
    // The message as receivers get it: header, `<offset> <epoch>\n` (at most 81 bytes), data.
    const size = header.length + 81 + Buffer.byteLength(data);
    if (size > this.link.maxMessageBytes) {
      this.link.appendFailed(channel, 'error');
      return Promise.reject(new Error(historyPublicationTooLarge(channel, size, this.link.maxMessageBytes)));
    }
    if (!this.link.reserve(size)) return this.appendFailed(channel, 'backlog');
    this.link.usedHistory(channel);
    // Once the caller was told it failed, a late failure of the command is not reported again.
    let timedOut = false;
    const appended = client
      .socketApiHistoryAppend(
        this.streamKey(channel),
        this.metaKey(channel),
        data,
        limits.size,
        limits.ttlMs,
        limits.metaTtlMs,
        redisChannel,
        header,
        this.newEpochSuffix(),
        incarnation,
      )
      .then(
        ([top, epoch]) => {
          this.link.release(size, true);
          return { offset: Number(top), epoch };
        },
        (error: unknown) => {
          // Refused by Redis, or lost with the connection (its socket may have ended before ioredis's status says so).
          const connected = client.status === 'ready' && (isClusterClient(client) || client.stream.writable);
          this.link.release(size, connected);
          if (timedOut) return Promise.reject(unavailable(channel, error));
          return this.appendFailed(channel, connected ? 'error' : 'down', error);
        },
      );
    return this.deadline.race(appended, (error) => {
      timedOut = true;
      this.link.appendFailed(channel, 'timeout', error);
      return unavailable(channel, error);
    });
  }

  async read(channel: string, since: StreamPosition | undefined, limits: HistoryLimits): Promise<HistoryRead> {
    const client = this.client;
    const incarnation = this.incarnation;
    if (!client || client.status !== 'ready' || incarnation === undefined) throw unavailable(channel);
    this.link.usedHistory(channel);
    let reply: ReadReply;
    try {
      reply = await this.deadline.race(
        client.socketApiHistoryRead(
          this.streamKey(channel),
          this.metaKey(channel),
          since?.offset ?? -1,
          since?.epoch ?? '',
          incarnation,
        ),
      );
    } catch (error) {
      throw unavailable(channel, error);
    }
    const now = Number(reply[0]);
    // The incarnation of the node that answered (this store's own but on a cluster).
    const nodeIncarnation = reply[1];
    if (reply.length === 2) {
      const top = { offset: 0, epoch: emptyStreamToken(nodeIncarnation, now) };
      const recovered = since !== undefined && canRecover(since, undefined, now, nodeIncarnation, limits.metaTtlMs);
      return { top, recovered, publications: [] };
    }
    const [, , epoch, top, createdAt, metaIncarnation, firstRetained, entries] = reply;
    const meta: StreamMeta = {
      epoch,
      top: Number(top),
      createdAt: Number(createdAt),
      incarnation: metaIncarnation,
      firstRetained: Number(firstRetained),
    };
    const position = { offset: meta.top, epoch };
    if (since === undefined || !canRecover(since, meta, now, nodeIncarnation, limits.metaTtlMs)) {
      return { top: position, recovered: false, publications: [] };
    }
    const publications = entries.map(toPublication);
    // The script fetched the entries by the same rule canRecover applies; if they ever disagree, what was
    // fetched is not all that is missed, and a partial replay is never given.
    if (publications.length !== meta.top - since.offset) return { top: position, recovered: false, publications: [] };
    return { top: position, recovered: true, publications };
  }

  async touch(channel: string, limits: HistoryLimits): Promise<void> {
    const client = this.client;
    if (!client || client.status !== 'ready') throw unavailable(channel);
    try {
      // PEXPIRE never creates a key: a meta already gone stays gone.
      await this.deadline.race(client.pexpire(this.metaKey(channel), limits.metaTtlMs));
    } catch (error) {
      throw unavailable(channel, error);
    }
  }

  private appendFailed(channel: string, failure: HistoryFailure, error?: unknown): Promise<never> {
    this.link.appendFailed(channel, failure, error);
    return Promise.reject(unavailable(channel, error));
  }

  /**
   * What follows the incarnation in the epoch of a stream this instance may create: unique (this broker's
   * random sender id and a counter), never reused, so that a stream lost and created again never gets an
   * epoch a client already holds.
   */
  private newEpochSuffix(): string {
    return `.${this.link.envelope.senderId.slice(0, 8)}${(this.epochs++).toString(36)}`;
  }

  /**
   * INFO server's `run_id`: it changes when Redis restarts (and so, without persistence, loses every stream).
   * A cluster has one per node: the scripts read it there.
   */
  private readIncarnation(client: RedisOrCluster): void {
    this.incarnation = undefined;
    if (isClusterClient(client)) {
      this.incarnation = PER_NODE_INCARNATION;
      this.incarnationRead = Promise.resolve();
      this.link.incarnationKnown();
      return;
    }
    const read = client.info('server').then(
      (info) => {
        const runId = /^run_id:([0-9a-f]+)/m.exec(info)?.[1];
        if (runId === undefined || client.status !== 'ready') return;
        this.incarnation = runId.slice(0, INCARNATION_LENGTH);
        this.link.incarnationKnown();
      },
      () => undefined, // the connection dropped: read again on the next `ready`
    );
    // `connect()` waits for it no longer than for any command; a late answer still makes the store usable.
    this.incarnationRead = this.deadline.race(read).catch(() => undefined);
  }
}

function toPublication([id, fields]: [string, string[]]): StoredPublication {
  return { offset: parseInt(id, 10), data: fields[1] ?? '' };
}

function unavailable(channel: string, cause?: unknown): HistoryUnavailableError {
  return new HistoryUnavailableError(historyUnreachable(channel), cause === undefined ? undefined : { cause });
}
