import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { Test } from '@nestjs/testing';
import { createSocketApiContract } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { useCleanup } from '../support/cleanup.js';

describe("the sample app's contract", () => {
  const cleanup = useCleanup();

  // The sample's typed client (sample/typed-client.ts) compiles against the committed file, so the
  // two together prove that the generated types are the ones the client is checked with.
  it('is the committed sample/api-contract.ts (regenerate it with `npm run contract:sample`)', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = cleanup.track(moduleRef.createNestApplication({ logger: false }));
    await app.init();
    const committed = await readFile(new URL('../../sample/api-contract.ts', import.meta.url), 'utf8');
    expect(createSocketApiContract(app)).toBe(committed);
  });
});
