import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** The `redis-server` binary on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

const REDIS_SERVER = findRedisServer();
const MISSING =
  'redis-server is not installed, so the Redis scale-out suites are skipped. Install it with ' +
  '`apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS) to run them ' +
  '(in CI, where CI is set, they are required and a missing redis-server fails the run).';

/**
 * `describe` for suites that need a real Redis: skipped, with a message saying why and how to
 * install it, when `redis-server` is missing, except in CI, where that fails the run.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (REDIS_SERVER) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs redis-server', () => {
        throw new Error(
          'redis-server is not on PATH, and CI (CI is set) must run the Redis scale-out suites: install it ' +
            'with `apt-get install redis-server` (.ci/run does) before `npm test`.',
        );
      });
    });
  } else {
    console.warn(`[${name}] ${MISSING}`);
    describe.skip(name, body);
  }
}

/** A free TCP port on loopback (free when asked: the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something on the port answers a Redis `PING` with `+PONG`. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A real `redis-server` for one test file, on a free loopback port, with no persistence. It can be
 * stopped, killed (SIGKILL: an outage, as a crash gives) and started again on the same port.
 */
export class RedisServer {
  private child?: ChildProcess;
  private output = '';

  /** `extraArgs`: more `redis-server` arguments (a cluster node's, see `RedisCluster`). */
  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a server on `port` (default: a free one), with `extraArgs` added, and waits until it answers PING. */
  static async start(port?: number, extraArgs?: readonly string[]): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), extraArgs);
    await server.start();
    return server;
  }

  /** Starts (again) on the same port; waits until it answers PING. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    if (!REDIS_SERVER) throw new Error(MISSING);
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.output = '';
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    running.add(child);
    child.once('exit', () => running.delete(child));
    const deadline = Date.now() + timeoutMs;
    while (!(await ping(this.port))) {
      if (!this.running) throw new Error(`redis-server exited at startup on port ${this.port}:\n${this.output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `redis-server did not answer PING on port ${this.port} within ${timeoutMs} ms:\n${this.output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Graceful stop (SIGTERM, after SIGCONT if it was paused); waits for the process to exit. */
  stop(): Promise<void> {
    this.resume();
    return this.signal('SIGTERM');
  }

  /** A crash: SIGKILL, connections cut without a word; waits for the process to exit. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /**
   * A hung server: SIGSTOP. The kernel still accepts connections and takes bytes until its buffers
   * are full, but nothing is read or answered until `resume()`.
   */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  /** SIGCONT: a paused server reads and answers again, from where it stopped. */
  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** Kills the server and starts it again on the same port (empty: no persistence). */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
