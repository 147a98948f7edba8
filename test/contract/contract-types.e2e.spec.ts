import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import ts from 'typescript';
import { createSocketApiContract, SocketApiModule } from '../../lib/index.js';
import { Documented, Extra } from '../docs/asyncapi-app.js';
import { ZooService } from '../docs/fixtures/zoo.service.js';
import { useCleanup } from '../support/cleanup.js';

/**
 * The generated contract of apps with every kind of schema the converter writes (the docs tests'
 * handlers and DTO zoo: enums, arrays of arrays, nested and self-nesting DTOs, groups, whitelists,
 * primitives, names that are not identifiers), compiled by the TypeScript compiler in strict mode
 * with checks of what the types say.
 */
const CHECKS = `
import type { ApiContract, ChoiceDto, PointDto, ShapeDto } from './api-contract.js';
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;
type Actions = ApiContract['actions'];
type Channels = ApiContract['channels'];
assertType<Equal<Actions['points']['reply'], PointDto[]>>();
assertType<Equal<Actions['words']['reply'], string[][]>>();
assertType<Equal<Actions['rename']['reply'], string>>();
assertType<Equal<Actions['count']['reply'], number>>();
assertType<Equal<Actions['untyped']['reply'], unknown>>();
assertType<Equal<Actions['{id}']['reply'], unknown>>();
assertType<Equal<Actions['move']['reply'], PointDto>>();
assertType<Equal<keyof Channels, 'count' | 'extra_feed' | 'labels' | 'points' | 'room'>>();
// @ts-expect-error: no such action
type Missing = Actions['nope'];
// Nested DTOs, arrays of them (at any depth, as @ValidateNested() accepts), enums.
const tags: ShapeDto['tags'] = [{ name: 't', at: { x: 1, y: 2 } }, [{ name: 'u' }]];
// @ts-expect-error: a nested DTO's property of the wrong type
const badTags: ShapeDto['tags'] = [{ name: 1 }];
const color: ChoiceDto['color'] = 'red';
// @ts-expect-error: not one of the enum's values
const badColor: ChoiceDto['color'] = 'blue';
`;

async function contractOf(providers: Array<new () => object>): Promise<string> {
  const moduleRef = await Test.createTestingModule({ imports: [SocketApiModule.forRoot({})], providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
    return createSocketApiContract(app);
  } finally {
    await app.close();
  }
}

describe('generated contracts of rich apps', () => {
  const cleanup = useCleanup();

  it('compile in strict mode, and say what the decorators declare', async () => {
    const source = await contractOf([Documented, Extra, ZooService]);
    const dir = await mkdtemp(join(tmpdir(), 'socketapi-contract-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'api-contract.ts'), source);
    await writeFile(join(dir, 'checks.ts'), CHECKS);
    const program = ts.createProgram([join(dir, 'api-contract.ts'), join(dir, 'checks.ts')], {
      strict: true,
      noEmit: true,
      noUnusedLocals: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const line = where === undefined ? '' : diagnostic.file?.text.split('\n')[where.line];
      return `${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')} at: ${line}`;
    });
    expect(diagnostics).toEqual([]);
  });

  it('is the same text, hash included, every time the same app is read', async () => {
    const first = await contractOf([Documented, Extra, ZooService]);
    expect(await contractOf([Documented, Extra, ZooService])).toBe(first);
    expect(first).toMatch(/^export const contractHash = '[0-9a-f]{64}';$/m);
  });

  it('changes its hash when a handler changes', async () => {
    const hashOf = (source: string) => /contractHash = '([0-9a-f]{64})'/.exec(source)?.[1];
    const all = hashOf(await contractOf([Documented, Extra]));
    const fewer = hashOf(await contractOf([Documented]));
    expect(all).toBeDefined();
    expect(fewer).toBeDefined();
    expect(fewer).not.toBe(all);
  });
});
