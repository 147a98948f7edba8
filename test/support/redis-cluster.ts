import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, RedisServer } from './redis-server.js';
import { sleep } from './wait.js';

/** `redis-cli` run to completion with `args`; its output, or an error naming the command and what it said. */
export function redisCli(args: readonly string[], timeoutMs = 20_000): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw new Error(`redis-cli ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/**
 * A real Redis Cluster for one test file: `masters` masters, one replica each, every node a `RedisServer`
 * (free loopback port, explicit cluster bus port: the default port + 10000 can collide with another test's
 * port) in cluster mode, its config file in a temp directory. `stop()` ends every process and removes it.
 */
export class RedisCluster {
  private constructor(
    readonly nodes: RedisServer[],
    private readonly dir: string,
    private readonly masters: number,
  ) {}

  /** The nodes as ioredis's `Cluster` takes them (any of them is enough to discover the others). */
  get startupNodes(): Array<{ host: string; port: number }> {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  /** Starts the nodes, creates the cluster, and waits until every node says `cluster_state:ok` and replicas are in sync. */
  static async start(masters = 3, timeoutMs = 30_000): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'socketapi-cluster-'));
    const nodes: RedisServer[] = [];
    const cluster = new RedisCluster(nodes, dir, masters);
    try {
      for (let index = 0; index < masters * 2; index++) {
        const busPort = await freePort();
        nodes.push(
          await RedisServer.start(undefined, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${index}.conf`),
            '--cluster-node-timeout',
            '1000',
            '--cluster-port',
            String(busPort),
            // A replica writes the RDB of its full sync to disk: in the temp directory, not the working one.
            '--dir',
            dir,
            '--dbfilename',
            `dump-${index}.rdb`,
          ]),
        );
      }
      redisCli([
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await cluster.waitHealthy(timeoutMs);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every running node says `cluster_state:ok`, there are as many masters as at the start, and every replica's link is up. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.healthy()) return;
      if (Date.now() > deadline)
        throw new Error(`the cluster is not healthy after ${timeoutMs} ms:\n${this.describe()}`);
      await sleep(100);
    }
  }

  /** The port of the master that owns `slot` now (by `CLUSTER SLOTS` of a running node). */
  masterOf(slot: number): number {
    const node = this.nodes.find((candidate) => candidate.running)!;
    // One line per node: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>`.
    const table = redisCli(['-p', String(node.port), 'cluster', 'nodes']);
    for (const line of table.trim().split('\n')) {
      const fields = line.split(' ');
      if (!fields[2].includes('master') || fields[2].includes('fail')) continue;
      for (const range of fields.slice(8)) {
        const [from, to = from] = range.split('-').map(Number);
        if (slot >= from && slot <= to) return Number(fields[1].split(':')[1].split('@')[0]);
      }
    }
    throw new Error(`no master owns slot ${slot}:\n${table}`);
  }

  /** The hash slot of `key` (`CLUSTER KEYSLOT`). */
  keySlot(key: string): number {
    const node = this.nodes.find((candidate) => candidate.running)!;
    return Number(redisCli(['-p', String(node.port), 'cluster', 'keyslot', key]).trim());
  }

  /** The port of a running replica of the master on `masterPort`. */
  replicaOf(masterPort: number): number {
    for (const node of this.nodes) {
      if (!node.running || node.port === masterPort) continue;
      const replication = this.info(node.port, 'replication');
      if (/^role:slave/m.test(replication) && new RegExp(`^master_port:${masterPort}\\b`, 'm').test(replication)) {
        return node.port;
      }
    }
    throw new Error(`no running replica of the master on port ${masterPort}`);
  }

  /** The node on `port`. */
  node(port: number): RedisServer {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
  }

  /** Ends every node and removes the config files. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private healthy(): boolean {
    let masters = 0;
    for (const node of this.nodes) {
      if (!node.running) continue;
      try {
        if (!/^cluster_state:ok/m.test(redisCli(['-p', String(node.port), 'cluster', 'info']))) return false;
        const replication = this.info(node.port, 'replication');
        if (/^role:master/m.test(replication)) masters++;
        else if (!/^master_link_status:up/m.test(replication)) return false;
      } catch {
        return false;
      }
    }
    return masters === this.masters;
  }

  private info(port: number, section: string): string {
    return redisCli(['-p', String(port), 'info', section]);
  }

  private describe(): string {
    return this.nodes
      .filter((node) => node.running)
      .map((node) => {
        try {
          return `${node.port}: ${redisCli(['-p', String(node.port), 'cluster', 'nodes'])}`;
        } catch (error) {
          return `${node.port}: ${String(error)}`;
        }
      })
      .join('\n');
  }
}
