// What a channel's `filter` adds per subscriber and publication, in-process: one `FanOutChannel` with
// --subscribers stub connections (their send is a counter: no socket, no `ws`), published to
// --publications times, with no filter, with a filter that admits everyone, and with one that admits
// half (by the data each subscribed with). CPU ns per subscriber and publication, median of --reps;
// the filter's own cost is the difference with the plain channel. Serialization is once per
// publication in every case (it is not per subscriber, so it is left out of the division).
//
//   npx tsc -p tsconfig.bench.json && node bench/filter-cost.mjs [--subscribers 10000] [--publications 2000] [--reps 7]
import 'reflect-metadata';
import { InMemoryBroker } from '../dist/lib/broker/in-memory.broker.js';
import { FanOutChannel } from '../dist/lib/channels/fan-out-channel.js';
import { SocketConnection } from '../dist/lib/connection/socket-connection.js';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const SUBSCRIBERS = Number(args.subscribers ?? 10_000);
const PUBLICATIONS = Number(args.publications ?? 2000);
const REPS = Number(args.reps ?? 7);

let sent = 0;

/** A connection as a channel sees it; sending only counts. */
class StubConnection extends SocketConnection {
  constructor(index) {
    super();
    this.index = index;
  }
  get id() {
    return `c${this.index}`;
  }
  sendFrame() {
    sent++;
  }
  offerFrame() {
    sent++;
    return true;
  }
}

const variants = {
  plain: undefined,
  'filter, admits all': () => true,
  'filter, admits half (by data)': (payload, { data }) => payload.symbol === data.symbol,
};

function channelWith(filter) {
  const channel = new FanOutChannel('prices', new InMemoryBroker());
  channel.declare({ filter });
  for (let index = 0; index < SUBSCRIBERS; index++) {
    const connection = new StubConnection(index);
    const data = { symbol: index % 2 ? 'ACME' : 'GLBX' };
    channel.subscribers.add(connection);
    channel.filter?.add(connection, data);
  }
  return channel;
}

/** CPU ns per subscriber and publication, for one run of PUBLICATIONS publications. */
function run(channel) {
  const payload = { symbol: 'ACME', price: 10 };
  const start = process.cpuUsage();
  for (let index = 0; index < PUBLICATIONS; index++) channel.publish(payload);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (PUBLICATIONS * SUBSCRIBERS);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = {};
for (const [name, filter] of Object.entries(variants)) {
  const channel = channelWith(filter);
  run(channel); // warm-up: the loop is optimized before it is measured
  const samples = [];
  for (let rep = 0; rep < REPS; rep++) samples.push(run(channel));
  results[name] = median(samples);
}

console.log(`${SUBSCRIBERS} subscribers, ${PUBLICATIONS} publications, median of ${REPS} (${sent} frames counted)`);
for (const [name, ns] of Object.entries(results)) {
  const extra = name === 'plain' ? '' : `  (filter: +${(ns - results.plain).toFixed(1)} ns)`;
  console.log(`${name.padEnd(32)} ${ns.toFixed(1)} ns per subscriber and publication${extra}`);
}
