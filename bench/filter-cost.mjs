// What a channel's `filter` adds per subscriber and publication, in-process: one `FanOutChannel` with
// --subscribers stub connections (their send is a counter: no socket, no `ws`), published to
// --publications times, with no filter, with a filter that admits everyone, and with one that admits
// half (by the data each subscribed with). CPU ns per subscriber and publication, median and range of
// --reps (interleaved); the filter's own cost is the difference with the plain channel. Serialization is
// once per publication in every case (it is not per subscriber, so it is left out of the division).
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

// Repetitions interleaved (every variant once per repetition), so that drift of a shared machine hits them alike.
const channels = Object.fromEntries(Object.entries(variants).map(([name, filter]) => [name, channelWith(filter)]));
for (const channel of Object.values(channels)) run(channel); // warm-up: the loop is optimized before it is measured
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let rep = 0; rep < REPS; rep++)
  for (const [name, channel] of Object.entries(channels)) samples[name].push(run(channel));

console.log(
  `${SUBSCRIBERS} subscribers, ${PUBLICATIONS} publications, median [min–max] of ${REPS} (${sent} frames counted)`,
);
const plain = median(samples.plain);
for (const [name, values] of Object.entries(samples)) {
  const ns = median(values);
  const range = `[${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}]`;
  const extra = name === 'plain' ? '' : `  (filter: +${(ns - plain).toFixed(1)} ns)`;
  console.log(`${name.padEnd(32)} ${ns.toFixed(1)} ns ${range} per subscriber and publication${extra}`);
}
