import { spawnSync } from 'node:child_process';
import { compileChild, type CompiledChild } from '../support/child-instance.js';

/** prom-client is an optional peer: an app without metrics never loads it (its own process tells). */
describe('prom-client, an optional peer', () => {
  let compiled: CompiledChild;

  beforeAll(() => {
    compiled = compileChild('test/metrics/metrics-child.ts');
  }, 120_000);

  afterAll(() => compiled?.remove());

  const run = (metrics: 'on' | 'off') => {
    const child = spawnSync(process.execPath, [compiled.entry], {
      env: { ...process.env, METRICS: metrics },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(0);
    return /PROM_CLIENT_LOADED (true|false)/.exec(child.stdout)?.[1];
  };

  it('is not loaded with metrics off', () => {
    expect(run('off')).toBe('false');
  });

  it('is loaded with metrics on (the check sees it)', () => {
    expect(run('on')).toBe('true');
  });
});
