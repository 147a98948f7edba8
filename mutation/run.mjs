// `npm run test:mutation [group...]`: runs Stryker for each group of groups.mjs (all by default), one
// after the other, then prints the score of each file and of all of them from the JSON reports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GROUPS } from './groups.mjs';

const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(GROUPS);
const unknown = names.filter((name) => !(name in GROUPS));
if (unknown.length > 0)
  throw new Error(`Unknown group(s) ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);

const DETECTED = new Set(['Killed', 'Timeout']);
const VALID = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);
const rows = [];
let failed = false;
for (const name of names) {
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', 'mutation/stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: name },
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  if (run.status !== 0) {
    failed = true;
    console.error(`Group ${name} failed (exit ${run.status}) after ${minutes} min.`);
    continue;
  }
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const valid = mutants.filter((mutant) => VALID.has(mutant.status));
    const detected = valid.filter((mutant) => DETECTED.has(mutant.status)).length;
    const survived = valid.filter((mutant) => mutant.status === 'Survived').length;
    rows.push({ group: name, file, detected, survived, noCoverage: valid.length - detected - survived, minutes });
  }
}

const score = (detected, total) => (total === 0 ? 'n/a' : `${((100 * detected) / total).toFixed(1)}%`);
for (const row of rows) {
  const total = row.detected + row.survived + row.noCoverage;
  console.log(
    `${row.group.padEnd(10)} ${row.file.padEnd(42)} ${score(row.detected, total).padStart(6)}` +
      `  killed ${row.detected}, survived ${row.survived}, no coverage ${row.noCoverage}`,
  );
}
const detected = rows.reduce((sum, row) => sum + row.detected, 0);
const total = rows.reduce((sum, row) => sum + row.detected + row.survived + row.noCoverage, 0);
console.log(
  `Mutation score: ${score(detected, total)} (${detected} of ${total} mutants detected). Reports: reports/mutation/`,
);
process.exitCode = failed ? 1 : 0;
