import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A seeded PRNG (mulberry32): the same seed gives the same chaos, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pipe {
  client: Socket;
  upstream: Socket;
}

/**
 * A loopback TCP proxy in front of a server, that can cut a connection (both sides destroyed, as a
 * network failure: no close frame) or stall it (neither side read for a while, as a congested or
 * half-dead link). Closing one side closes the other.
 */
export class ChaosProxy {
  private readonly server: Server;
  private readonly pipes = new Set<Pipe>();
  drops = 0;
  stalls = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pipe = { client, upstream };
      this.pipes.add(pipe);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        this.pipes.delete(pipe);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)),
    );
  }

  get connections(): number {
    return this.pipes.size;
  }

  /** Cuts a connection chosen by `random`. */
  drop(random: () => number): void {
    const pipe = this.pick(random);
    if (pipe === undefined) return;
    this.drops++;
    pipe.client.destroy();
    pipe.upstream.destroy();
  }

  /** Stops a connection chosen by `random` for `ms` (nothing is lost: it is delivered after). */
  stall(random: () => number, ms: number): void {
    const pipe = this.pick(random);
    if (pipe === undefined) return;
    this.stalls++;
    pipe.client.pause();
    pipe.upstream.pause();
    setTimeout(() => {
      pipe.client.resume();
      pipe.upstream.resume();
    }, ms);
  }

  close(): Promise<void> {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private pick(random: () => number): Pipe | undefined {
    const pipes = [...this.pipes];
    return pipes.length === 0 ? undefined : pipes[Math.floor(random() * pipes.length)];
  }
}
