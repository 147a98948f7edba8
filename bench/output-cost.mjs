// What `outputValidation` costs per reply or publication, in-process: the function that turns a
// handler's value into the JSON value sent (the one the router calls per reply, and a channel once per
// publication whatever its number of subscribers), with projection ('error'; 'warn' is the same walk)
// against without ('off': `toPlain`, today's path). Then the publication itself: one `FanOutChannel`
// with one stub subscriber (frame built and "sent"), with and without projection. µs per value,
// median and range of --reps repetitions (interleaved, so that a shared machine's drift hits every
// variant alike).
//
//   npx tsc -p tsconfig.bench.json && node bench/output-cost.mjs [--values 20000] [--reps 7]
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsArray, IsDate, IsInt, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { InMemoryBroker } from '../dist/lib/broker/in-memory.broker.js';
import { FanOutChannel } from '../dist/lib/channels/fan-out-channel.js';
import { compileOutputCheck } from '../dist/lib/handlers/output-check.js';
import { toPlain } from '../dist/lib/protocol/to-plain.js';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const VALUES = Number(args.values ?? 20_000);
const REPS = Number(args.reps ?? 7);

// The DTOs of the leak test (test/hardening/output-leak.e2e.spec.ts), decorated by hand (plain JS).
const decorate = (target, property, ...decorators) => {
  for (const decorator of decorators) decorator(target.prototype, property);
};
class AddressDto {}
decorate(AddressDto, 'city', IsString());
class UserDto {}
decorate(UserDto, 'id', IsInt());
decorate(UserDto, 'name', IsString());
decorate(UserDto, 'createdAt', IsDate());
decorate(
  UserDto,
  'address',
  ValidateNested(),
  Type(() => AddressDto),
);
decorate(
  UserDto,
  'previous',
  IsArray(),
  ValidateNested({ each: true }),
  Type(() => AddressDto),
);
decorate(UserDto, 'settings', IsOptional(), IsObject());
decorate(UserDto, 'displayName', IsString());
class FlatDto {}
decorate(FlatDto, 'id', IsInt());
decorate(FlatDto, 'name', IsString());
decorate(FlatDto, 'email', IsString());

class AddressEntity {
  city = 'Paris';
  doorCode = 'secret';
}
class UserEntity {
  id = 7;
  name = 'ada';
  passwordHash = 'secret';
  createdAt = new Date(Date.UTC(2020, 0, 2));
  address = new AddressEntity();
  previous = [new AddressEntity(), new AddressEntity()];
  settings = { theme: 'dark' };
  get displayName() {
    return `${this.name}!`;
  }
}

const target = (type) => ({ kind: 'action', name: 'bench', classRef: type, methodName: 'bench' });
const projected = (type) =>
  compileOutputCheck(target(type), type, { mode: 'error', validator: {}, errorLogIntervalMs: 10_000 });

const cases = {
  'flat plain object (3 fields + 1 extra)': {
    value: { id: 1, name: 'ada', email: 'ada@example.com', passwordHash: 'secret' },
    on: projected(FlatDto),
  },
  'entity: class, getter, Date, nested, array of 2': { value: new UserEntity(), on: projected(UserDto) },
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const range = (values) => `[${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]`;

/** CPU µs per call of `toWire(value)`. */
function time(toWire, value) {
  let sink = 0;
  const start = process.cpuUsage();
  for (let index = 0; index < VALUES; index++) if (toWire(value) !== undefined) sink++;
  const used = process.cpuUsage(start);
  if (sink !== VALUES) throw new Error('lost values');
  return (used.user + used.system) / VALUES;
}

function channel(toWire) {
  const published = new FanOutChannel('users', new InMemoryBroker());
  published.declare({ toWire });
  published.subscribers.add({ id: 'stub', sendFrame() {}, offerFrame: () => true });
  return published;
}

const variants = [];
for (const [name, { value, on }] of Object.entries(cases)) {
  variants.push({ name: `${name}: off (toPlain)`, run: () => time((v) => toPlain(v), value) });
  variants.push({ name: `${name}: projected`, run: () => time(on, value) });
  const plainChannel = channel(undefined);
  const projectedChannel = channel(on);
  variants.push({ name: `${name}: publication, off`, run: () => time((v) => (plainChannel.publish(v), 1), value) });
  variants.push({
    name: `${name}: publication, projected`,
    run: () => time((v) => (projectedChannel.publish(v), 1), value),
  });
}

for (const variant of variants) variant.run(); // warm-up
const samples = variants.map(() => []);
for (let rep = 0; rep < REPS; rep++) variants.forEach((variant, index) => samples[index].push(variant.run()));

console.log(`${VALUES} values per repetition, CPU µs per value, median [min–max] of ${REPS}`);
variants.forEach((variant, index) =>
  console.log(`${variant.name.padEnd(84)} ${median(samples[index]).toFixed(2)} µs ${range(samples[index])}`),
);
