import 'reflect-metadata';
import { Injectable, type Provider } from '@nestjs/common';
import { Data, SocketAction, SocketApiModule, SocketChannel } from '../lib/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { startApp, type TestApp } from './support/test-app.js';

@Injectable()
class OneOfEach {
  @SocketAction('add')
  add(@Data('a') a: number): number {
    return a;
  }

  @SocketChannel('news')
  news(): string {
    return 'hello';
  }
}

@Injectable()
class TwoActions {
  @SocketAction('first')
  first(): number {
    return 1;
  }

  @SocketAction('second')
  second(): number {
    return 2;
  }
}

describe('the startup log line', () => {
  let t: TestApp | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** What SocketAPI logged at startup, for an app with these providers. */
  async function startupLines(providers: Provider[]): Promise<string[]> {
    const logger = new CapturingLogger();
    t = await startApp({ imports: [SocketApiModule.forRoot({ path: '/ws', heartbeat: false })], providers }, (app) => {
      app.useLogger(logger);
    });
    return logger.lines
      .filter((line) => line.level === 'log' && line.details === 'SocketApi')
      .map((line) => line.message);
  }

  it('counts in the singular for one', async () => {
    expect(await startupLines([OneOfEach])).toEqual(['1 action and 1 channel at /ws']);
  });

  it('and in the plural for none or several', async () => {
    expect(await startupLines([TwoActions])).toEqual(['2 actions and 0 channels at /ws']);
  });
});
