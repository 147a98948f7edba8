import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { IsString } from 'class-validator';
import {
  ChannelParam,
  Data,
  SocketAction,
  SocketApiException,
  SocketApiModule,
  SocketChannel,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { eventually } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

class NoteDto {
  @IsString() text!: string;
}

const appTracer = trace.getTracer('the-app');

@Injectable()
class Traced {
  @SocketAction('echo')
  async echo(@Data() note: NoteDto): Promise<string> {
    // After an await, as an app's database call would be: the span must still be the active one.
    await new Promise((resolve) => setImmediate(resolve));
    return appTracer.startActiveSpan('app work', (span) => {
      span.end();
      return note.text;
    });
  }

  @SocketAction('refuse')
  refuse(): never {
    throw new SocketApiException('Not today', 'NOT_TODAY');
  }

  @SocketAction('crash')
  async crash(): Promise<never> {
    await Promise.resolve();
    throw new Error('a bug in the app');
  }

  @SocketChannel('rooms/:roomId')
  room(@ChannelParam('roomId') roomId: string): void {
    if (roomId === 'locked') throw new SocketApiException('Locked', 'FORBIDDEN');
  }
}

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  // What an app's SDK setup does (NodeSDK registers the same context manager).
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});

afterAll(() => {
  trace.disable();
  context.disable();
});

describe('Tracing', () => {
  const cleanup = useCleanup();

  beforeEach(() => exporter.reset());

  async function client(options: SocketApiModuleOptions): Promise<TestClient> {
    const app = cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, ...options })],
        providers: [Traced],
      }),
    );
    const opened = await TestClient.open(app.url);
    cleanup.add(() => opened.socket.terminate());
    return opened;
  }

  /** The spans of the library, once `count` of them have ended. */
  async function librarySpans(count: number): Promise<ReadableSpan[]> {
    return eventually(
      () => exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'nestjs-socketapi'),
      (spans) => spans.length >= count,
      { what: `${count} span(s) of nestjs-socketapi` },
    );
  }

  async function connectionId(socket: TestClient): Promise<string> {
    socket.send({ type: 'action', channel: 'echo', data: { text: 'id?' }, id: 0 });
    await socket.next();
    const [span] = await librarySpans(1);
    exporter.reset();
    return String(span.attributes['socketapi.connection.id']);
  }

  it('gives a completed action a SERVER span, active while it runs: the app span is its child', async () => {
    const socket = await client({ tracing: true });
    socket.send({ type: 'action', channel: 'echo', data: { text: 'hi' }, id: 1 });
    expect(await socket.next()).toEqual([{ type: 'action', channel: 'echo', status: 'completed', data: 'hi', id: 1 }]);
    const [span] = await librarySpans(1);
    expect(span.name).toBe('socketapi action echo');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes).toEqual({
      'rpc.system': 'socketapi',
      'rpc.method': 'echo',
      'socketapi.connection.id': expect.stringMatching(/.+/),
      'socketapi.outcome': 'completed',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const work = exporter.getFinishedSpans().find((each) => each.name === 'app work');
    expect(work?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(work?.spanContext().traceId).toBe(span.spanContext().traceId);
  });

  it.each([
    ['an exception of the app', 'refuse', undefined, 'NOT_TODAY'],
    ['a validation error', 'echo', { text: 42 }, 'VALIDATION_ERROR'],
    ['an unhandled error (its exception recorded)', 'crash', undefined, 'INTERNAL_ERROR'],
  ])('marks %s with outcome error and the code the client got', async (_what, action, data, code) => {
    const socket = await client({ tracing: true });
    const id = await connectionId(socket);
    socket.send({ type: 'action', channel: action, data, id: 2 });
    expect(await socket.next()).toEqual([expect.objectContaining({ type: 'error', code, channel: action, id: 2 })]);
    const [span] = await librarySpans(1);
    expect(span.name).toBe(`socketapi action ${action}`);
    expect(span.attributes).toMatchObject({
      'rpc.method': action,
      'socketapi.connection.id': id,
      'socketapi.outcome': 'error',
      'error.type': code,
    });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: code });
    const exceptions = span.events.filter((event) => event.name === 'exception');
    if (code === 'INTERNAL_ERROR') {
      expect(exceptions.map((event) => event.attributes?.['exception.message'])).toEqual(['a bug in the app']);
    } else {
      expect(exceptions).toEqual([]);
    }
  });

  it('gives a subscribe its span, named by the pattern, with the concrete channel; a refused one is an error', async () => {
    const socket = await client({ tracing: true });
    socket.send({ type: 'subscribe', channel: 'rooms/7', id: 3 });
    expect(await socket.next()).toEqual([{ type: 'subscribed', channel: 'rooms/7', id: 3 }]);
    socket.send({ type: 'subscribe', channel: 'rooms/locked', id: 4 });
    expect(await socket.next()).toEqual([expect.objectContaining({ type: 'error', code: 'FORBIDDEN', id: 4 })]);
    const [ok, refused] = await librarySpans(2);
    for (const span of [ok, refused]) {
      expect(span.name).toBe('socketapi subscribe rooms/:roomId');
      expect(span.kind).toBe(SpanKind.SERVER);
    }
    expect(ok.attributes).toEqual({
      'messaging.system': 'socketapi',
      'messaging.operation.name': 'subscribe',
      'messaging.destination.name': 'rooms/7',
      'messaging.destination.template': 'rooms/:roomId',
      'socketapi.connection.id': expect.stringMatching(/.+/),
      'socketapi.outcome': 'completed',
    });
    expect(refused.attributes).toMatchObject({
      'messaging.destination.name': 'rooms/locked',
      'socketapi.outcome': 'error',
      'error.type': 'FORBIDDEN',
    });
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('makes no span without `tracing`, though an SDK is registered', async () => {
    const socket = await client({});
    socket.send({ type: 'action', channel: 'echo', data: { text: 'quiet' }, id: 5 });
    socket.send({ type: 'subscribe', channel: 'rooms/8', id: 6 });
    await socket.next(2);
    // The app's own span is recorded: the SDK works, the library just traces nothing.
    await eventually(
      () => exporter.getFinishedSpans().map((span) => span.name),
      (names) => names.includes('app work'),
    );
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['app work']);
  });
});
