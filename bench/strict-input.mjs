// What strict input (`validation.strictInput`) costs per input, in-process: the compiled unknown-keys
// check alone, a DTO parameter read with and without it, and class-validator's own
// `whitelist` + `forbidNonWhitelisted` (which reports the same paths), on two DTOs: a flat one of three
// properties (decided by the fast path) and five nested levels through an array of arrays (15 keys).
// µs per input, median and range of --reps interleaved repetitions of --inputs reads each.
//
//   npx tsc -p tsconfig.bench.json && node bench/strict-input.mjs [--inputs 20000] [--reps 7]
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { dtoReader, referenceDtoReader } from '../dist/lib/validation/dto-reader.js';
import { compileUnknownKeys } from '../dist/lib/validation/unknown-keys.js';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const INPUTS = Number(args.inputs ?? 20_000);
const REPS = Number(args.reps ?? 7);

/** Legacy decorators applied by hand (a .mjs has no decorator syntax), with the design:type tsc would emit. */
function property(target, name, designType, ...decorators) {
  Reflect.defineMetadata('design:type', designType, target.prototype, name);
  for (const decorator of decorators) decorator(target.prototype, name);
}

class Flat {}
property(Flat, 'name', String, IsString());
property(Flat, 'age', Number, IsInt(), Min(0));
property(Flat, 'city', String, IsString());

class Leaf {}
property(Leaf, 'value', String, IsString());
class Level4 {}
property(Level4, 'n', Number, IsInt());
property(
  Level4,
  'leaves',
  Array,
  ValidateNested({ each: true }),
  Type(() => Leaf),
);
class Level3 {}
property(
  Level3,
  'four',
  Level4,
  IsOptional(),
  ValidateNested(),
  Type(() => Level4),
);
class Level2 {}
property(
  Level2,
  'grid',
  Array,
  ValidateNested({ each: true }),
  Type(() => Level3),
);
class Order {}
property(Order, 'id', String, IsString());
property(
  Order,
  'two',
  Level2,
  ValidateNested(),
  Type(() => Level2),
);

const flat = () => ({ name: 'alice', age: 30, city: 'Paris' });
const nested = () => ({
  id: 'o-1',
  two: { grid: [[{ four: { n: 1, leaves: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] } }], [{}]] },
});

const FORBID = { whitelist: true, forbidNonWhitelisted: true };
const cases = [];
for (const [label, type, input] of [
  ['flat (3 keys)', Flat, flat],
  ['5 levels (15 keys)', Order, nested],
]) {
  const check = compileUnknownKeys(type, {});
  cases.push(
    [label, 'unknown-keys check alone', (data, errors) => check(data, '', errors)],
    [label, 'DTO read, strict off', dtoReader(type, {}, {})],
    [label, 'DTO read, strictInput', dtoReader(type, {}, {}, {})],
    [label, 'class-validator forbidNonWhitelisted', referenceDtoReader(type, FORBID, {})],
  );
  // Each variant accepts the input: a refused input would measure error paths instead.
  for (const [, variant, read] of cases.slice(-4)) {
    const errors = [];
    await read(input(), '', errors);
    if (errors.length > 0) throw new Error(`${label}, ${variant}: ${JSON.stringify(errors)}`);
  }
}

/** µs of CPU per input: each input is a fresh object, as JSON.parse gives one per frame. */
async function measure(read, input) {
  const inputs = Array.from({ length: INPUTS }, input);
  const errors = [];
  const start = process.cpuUsage();
  for (const data of inputs) {
    const value = read(data, '', errors);
    if (value instanceof Promise) await value;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / INPUTS;
}

const samples = cases.map(() => []);
for (let rep = 0; rep < REPS; rep++) {
  for (const [index, [label, , read]] of cases.entries()) {
    samples[index].push(await measure(read, label.startsWith('flat') ? flat : nested));
  }
}
console.log(
  `strict input, µs of CPU per input: median [min … max] of ${REPS} reps × ${INPUTS} inputs, node ${process.version}`,
);
for (const [index, [label, variant]] of cases.entries()) {
  const sorted = samples[index].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `${label.padEnd(20)} ${variant.padEnd(38)} ${median.toFixed(2).padStart(7)} [${sorted[0].toFixed(2)} … ${sorted.at(-1).toFixed(2)}]`,
  );
}
