import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./netns-child.mjs', import.meta.url));

/** Whether this process may create network namespaces (`unshare -n`, as root). */
function canUnshare(): boolean {
  const probe = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  return probe.status === 0;
}

const AVAILABLE = canUnshare();
const MISSING =
  'creating a network namespace (`unshare -n` and `ip`, as root) is not possible here, so the suites that ' +
  'need addresses other than loopback are skipped (in CI, where CI is set, they are required).';

/** `describe` for suites that need a network namespace: skipped where one cannot be made, except in CI. */
export function describeWithNetns(name: string, body: () => void): void {
  if (AVAILABLE) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs a network namespace', () => {
        throw new Error(`${MISSING} CI runs as root and must run them.`);
      });
    });
  } else {
    console.warn(`[${name}] ${MISSING}`);
    describe.skip(name, body);
  }
}

type Reply =
  | { type: 'listening'; id: number; port: number }
  | { type: 'response'; id: number; status: number; body: string }
  | { type: 'failed'; id: number; error: string };

/**
 * A network namespace of its own, made for one test file (`unshare -n`), whose loopback interface
 * has the listed addresses besides 127.0.0.1: use documentation addresses (192.0.2.0/24,
 * 2001:db8::/32). Traffic between them never leaves the namespace. A child process lives there:
 * it hands this process listening sockets opened there (a server here can accept on them) and
 * makes requests from any of the addresses.
 */
export class NetworkNamespace {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (reply: Reply, handle?: unknown) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply, handle?: unknown) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply, handle);
    });
  }

  static async create(addresses: string[]): Promise<NetworkNamespace> {
    const setup = ['ip link set lo up', ...addresses.map((address) => `ip addr add ${address} dev lo`)].join(' && ');
    const child = spawn('unshare', ['-n', 'sh', '-c', `${setup} && exec "$0" "$1"`, process.execPath, CHILD], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`the network namespace's child exited (${code}) before it was ready`)),
      );
    });
    child.removeAllListeners('exit');
    return new NetworkNamespace(child);
  }

  /** A listening socket on `host` inside the namespace, for `server.listen(handle)` here; its port. */
  async listen(host: string): Promise<{ handle: Server; port: number }> {
    const { reply, handle } = await this.ask({ type: 'listen', host });
    if (reply.type !== 'listening' || !handle) throw new Error(`cannot listen on ${host}: ${JSON.stringify(reply)}`);
    return { handle: handle as Server, port: reply.port };
  }

  /** A POST made inside the namespace from the address `from`. */
  async post(
    from: string,
    url: { host: string; port: number; path: string },
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; body: unknown }> {
    const { reply } = await this.ask({ type: 'post', from, ...url, headers, body });
    if (reply.type !== 'response') throw new Error(`POST from ${from} failed: ${JSON.stringify(reply)}`);
    let parsed: unknown = reply.body;
    try {
      parsed = JSON.parse(reply.body);
    } catch {
      // not JSON: the text itself
    }
    return { status: reply.status, body: parsed };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  private ask(message: Record<string, unknown>): Promise<{ reply: Reply; handle?: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from the namespace to ${String(message.type)}`)),
        5000,
      );
      this.waiting.set(id, {
        resolve: (reply, handle) => {
          clearTimeout(timer);
          resolve({ reply, handle });
        },
      });
      this.child.send({ ...message, id });
    });
  }
}
