/**
 * What the client needs from its platform (a browser, Node), declared here rather than taken from
 * the DOM or Node type libraries: the client compiles without either, so nothing platform-specific
 * is used unchecked, and both a browser's and Node's objects fit these shapes.
 */

/** The part of a WebSocket the client uses: browsers', Node 22+'s global one and `ws`'s all have it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket class: the browser's `WebSocket`, `ws`'s, or any class constructed the same way.
 * Typed loosely on purpose: the DOM's and `ws`'s classes differ in their event types, and both must fit.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

/** `ws` only: the third argument of its constructor (headers, for `auth.sendAs: 'header'`). */
export interface WsConstructorOptions {
  headers?: Record<string, string>;
}

/** An `AbortSignal`, browsers' or Node's. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A timer handle: a number in browsers, an object in Node. */
export type TimerHandle = object | number;

interface PlatformGlobals {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  WebSocket?: WebSocketConstructor;
  atob?(base64: string): string;
  console?: { warn(message: string): void };
  fetch?(url: string, init: { mode: 'no-cors'; cache: 'no-store'; signal?: unknown }): Promise<unknown>;
  AbortController?: new () => { readonly signal: unknown; abort(): void };
}

const globals = globalThis as unknown as PlatformGlobals;

/**
 * The longest delay `setTimeout` keeps (2^31 - 1 ms, 24.8 days): browsers and Node run a longer one
 * at once, which would renew a token valid for weeks in a loop.
 */
const MAX_TIMER_MS = 2_147_483_647;

/** Runs `callback` after `ms` (at most 24.8 days: a longer delay fires then, early rather than at once). */
export function startTimer(callback: () => void, ms: number): TimerHandle {
  return globals.setTimeout(callback, Math.min(ms, MAX_TIMER_MS));
}

export function stopTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) globals.clearTimeout(handle);
}

/** The platform's own WebSocket class (browsers, Node 22+, Deno, Bun), if it has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return typeof globals.WebSocket === 'function' ? globals.WebSocket : undefined;
}

/** A warning on the platform's console, where it has one. */
export function warn(message: string): void {
  globals.console?.warn(message);
}

/** Base64 to a binary string (every browser and Node 16+ have `atob`). */
export function decodeBase64(base64: string): string | undefined {
  return globals.atob?.(base64);
}

/** A reachability probe under way: `answered` settles once, `cancel()` ends the request early. */
export interface HttpProbe {
  readonly answered: Promise<boolean>;
  cancel(): void;
}

/**
 * Whether an HTTP server answers at `url`, whatever it answers (an opaque `no-cors` response counts):
 * false when the request fails, is cancelled or takes longer than `timeoutMs`, or when the platform
 * has no `fetch`. The request is aborted once the answer is known: a server that accepted the
 * connection and never answers would otherwise hold it (and keep a Node process alive) for minutes.
 */
export function probeHttp(url: string, timeoutMs: number): HttpProbe {
  if (globals.fetch === undefined) return { answered: Promise.resolve(false), cancel: () => undefined };
  const controller = globals.AbortController === undefined ? undefined : new globals.AbortController();
  let cancel: () => void = () => undefined;
  const ended = new Promise<false>((resolve) => (cancel = () => resolve(false)));
  const timer = startTimer(cancel, timeoutMs);
  const request = globals.fetch(url, { mode: 'no-cors', cache: 'no-store', signal: controller?.signal }).then(
    () => true,
    () => false,
  );
  const answered = Promise.race([request, ended]).finally(() => {
    stopTimer(timer);
    controller?.abort();
  });
  return { answered, cancel };
}
