import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { ActionTimer } from '../metrics/action-timer.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ErrorPayload } from '../protocol/messages.js';
import { parseClientMessage } from '../protocol/parse-client-message.js';
import { errorFrame } from '../protocol/server-messages.js';
import { CloseReason, ErrorMessage } from '../protocol/socket-api.messages.js';
import { MessageRouter } from './message-router.js';
import { RateLimiter } from './rate-limiter.js';
import type { PendingFrame, WsConnection } from './ws-connection.js';

/**
 * A refused frame is parsed to echo its id and channel only up to this size: a refusal must cost
 * little whatever the client sends. Refusals are answered in order, so larger ones match by position.
 */
const REFUSAL_CONTEXT_MAX_BYTES = 1024;
/** What a waiting refusal holds besides its echoed strings: the queue entry and the error object. */
const REFUSAL_BYTES = 128;

/**
 * Each connection's inbound message queue (its state lives on the connection, this one service runs
 * them all). Takes every frame of every connection and keeps each connection's order: frames are handled in
 * the order received, `concurrency` at a time, and even a refused frame (rate limit, full queue)
 * is answered in its turn. What waits is bounded in count and bytes. A connection the server closed
 * is handled no more.
 */
@Injectable()
export class InboundQueue {
  private readonly concurrency: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  /** Frames refused while waiting are parsed for their id and channel, with the same depth bound. */
  private readonly maxDepth: number;
  /** Frames and refusals together: the frames' bound (one frame of `maxPayload` may always wait), and as much again. */
  private readonly maxQueueBytes: number;
  private readonly rateLimiter?: RateLimiter;
  private readonly tracksIdleTime: boolean;
  /** Metrics on: a refusal's work counts toward no action, nor does what follows the frames run from the queue. */
  private readonly timer?: ActionTimer;

  constructor(
    private readonly router: MessageRouter,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_METRICS) metrics: SocketApiMetrics | null,
  ) {
    this.timer = metrics?.timer;
    this.concurrency = options.concurrency;
    this.maxPending = options.maxPendingMessages;
    this.maxPendingBytes = options.maxPendingBytes;
    this.maxDepth = options.maxDepth;
    const maxFrameBytes = Math.max(this.maxPendingBytes, options.maxPayload);
    this.maxQueueBytes = this.maxPendingBytes + maxFrameBytes;
    this.rateLimiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
    this.tracksIdleTime = options.idleTimeoutMs > 0;
  }

  /**
   * Frames of an open connection being handled or waiting: a graceful shutdown answers them. One the
   * server has closed is not waited for: its replies would not be sent.
   */
  hasWork(connection: WsConnection): boolean {
    return connection.isOpen && (connection.active > 0 || !!connection.pending?.length);
  }

  receive(connection: WsConnection, data: Buffer, isBinary: boolean): void {
    // Closed by the server (its close frame is out): whatever the peer still sends is not handled.
    if (!connection.isOpen) return;
    if (this.tracksIdleTime) connection.lastMessageAt = Date.now();
    if (this.rateLimiter && !this.rateLimiter.take(connection, performance.now())) {
      if (connection.refusedInRow > this.rateLimiter.closeAfter) {
        return connection.close(CloseCode.POLICY_VIOLATION, CloseReason.rateLimitExceeded);
      }
      return this.refuse(connection, data, isBinary);
    }
    if (connection.active < this.concurrency && !connection.pending?.length) {
      return this.run(connection, data, isBinary);
    }
    if (!this.mayWait(connection, data.length)) return this.refuse(connection, data, isBinary);
    this.enqueue(connection, { data: ownBytes(data), isBinary }, data.length);
  }

  /** Drops what a connection left waiting, unanswered: it is being closed. */
  drop(connection: WsConnection): void {
    connection.pending = undefined;
    connection.pendingBytes = 0;
  }

  /** Room for one more frame: bounded in count and in bytes, but the first may be of any size. */
  private mayWait(connection: WsConnection, bytes: number): boolean {
    const waiting = connection.pending?.length ?? 0;
    if (waiting >= this.maxPending) return false;
    return waiting === 0 || connection.pendingBytes + bytes <= this.maxPendingBytes;
  }

  /** Answers a frame with `RATE_LIMITED`, in its turn; one that keeps flooding is closed with 1008. */
  private refuse(connection: WsConnection, data: Buffer, isBinary: boolean): void {
    this.timer?.cut();
    const refusal = rateLimited(data, isBinary, this.maxDepth);
    if (connection.active === 0 && !connection.pending?.length) return connection.sendFrame(errorFrame(refusal));
    // Even refusals wait their turn, but not without bound: a client that keeps on is closed.
    const bytes = refusalBytes(refusal);
    const waiting = connection.pending?.length ?? 0;
    if (waiting >= 2 * this.maxPending || connection.pendingBytes + bytes > this.maxQueueBytes) {
      return connection.close(CloseCode.POLICY_VIOLATION, CloseReason.tooManyRequests);
    }
    this.enqueue(connection, { refusal }, bytes);
  }

  private enqueue(connection: WsConnection, frame: PendingFrame, bytes: number): void {
    (connection.pending ??= []).push(frame);
    connection.pendingBytes += bytes;
  }

  private run(connection: WsConnection, data: Buffer, isBinary: boolean): void {
    connection.active++;
    const done = this.router.handle(connection, data, isBinary);
    if (done) void done.then(() => this.release(connection));
    else connection.active--;
  }

  private release(connection: WsConnection): void {
    connection.active--;
    // Closed by ws itself (a frame it refused) or by the peer: what waits is not run either.
    if (!connection.isOpen) return this.drop(connection);
    // A loop, not recursion: frames that complete synchronously must not deepen the stack.
    while (connection.active < this.concurrency && connection.pending?.length) {
      const next = connection.pending.shift()!;
      if ('refusal' in next) {
        this.timer?.cut();
        connection.pendingBytes -= refusalBytes(next.refusal);
        connection.sendFrame(errorFrame(next.refusal));
      } else {
        connection.pendingBytes -= next.data.length;
        this.run(connection, next.data, next.isBinary);
      }
    }
    if (connection.pending?.length === 0) connection.pending = undefined;
    // Outside a read from a socket: the actions just run end their run here, not at some later read's end.
    this.timer?.cut();
  }
}

/**
 * The frame's bytes in a Buffer of their own. ws hands over a view of the socket's read chunk (up to
 * 64 KiB): a small frame waiting would keep the whole chunk alive while charged for its own bytes,
 * so a client interleaving small frames with large refused ones could pin megabytes past
 * `maxPendingBytes`. Only frames that wait are copied.
 */
function ownBytes(data: Buffer): Buffer {
  return data.byteLength === data.buffer.byteLength ? data : Buffer.from(data);
}

/** The `RATE_LIMITED` error for a frame, with its channel and id when it has them. */
function rateLimited(data: Buffer, isBinary: boolean, maxDepth: number): ErrorPayload {
  const refusal: ErrorPayload = { code: ErrorCode.RATE_LIMITED, message: ErrorMessage.tooManyRequests };
  if (isBinary || data.length > REFUSAL_CONTEXT_MAX_BYTES) return refusal;
  const parsed = parseClientMessage(data, maxDepth);
  const { channel, id } = 'message' in parsed ? parsed.message : parsed.error;
  if (channel) refusal.channel = channel;
  if (id !== undefined) refusal.id = id;
  return refusal;
}

function refusalBytes({ channel, id }: ErrorPayload): number {
  return REFUSAL_BYTES + (channel?.length ?? 0) + (typeof id === 'string' ? id.length : 0);
}
