import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { SocketConnection } from '../connection/socket-connection.js';
import { isGuardException } from '../handlers/handler-invoker.factory.js';
import type { ChannelRoute } from '../interfaces/channel-stream.interface.js';
import { loadOptionalPeer } from '../packaging/optional-peer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { mapException } from '../protocol/exception-mapper.js';
import type { ClientMessage } from '../protocol/messages.js';
import type { RegisteredHandler } from '../registry/socket-api.registry.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** Injection token of the `HandlerTracer`: `null` without `tracing`, so that the router pays one null check. */
export const HANDLER_TRACER = Symbol('HANDLER_TRACER');

/** The instrumentation scope the spans are reported under. */
const TRACER_NAME = 'nestjs-socketapi';

const TRACING_FEATURE = 'Tracing (the `tracing` option)';

/**
 * An OpenTelemetry span around each action and each subscribe's channel method: SpanKind SERVER,
 * named `socketapi action <name>` / `socketapi subscribe <declared name>` (a pattern, never the
 * concrete channel: span names stay few). The span is the active one while the handler (its guards,
 * pipes, interceptors and method) runs, so that the app's own spans are its children. It ends when
 * the handler's result is settled: outcome `completed`, or `error` with the code the client gets
 * (`error.type`). Attributes follow the RPC conventions for actions and the messaging ones for
 * subscribes (see docs/operations.md).
 */
export class HandlerTracer {
  private readonly tracer: Tracer;

  private constructor(private readonly api: OpenTelemetryApi) {
    this.tracer = api.trace.getTracer(TRACER_NAME);
  }

  /** Imports `@opentelemetry/api` (an optional peer): a clear startup error when it is not installed. */
  static async load(): Promise<HandlerTracer> {
    return new HandlerTracer(
      await loadOptionalPeer('@opentelemetry/api', TRACING_FEATURE, () => import('@opentelemetry/api')),
    );
  }

  /**
   * `handler.invoke(...)` within its span: returns (or throws) what it returns (or throws), a
   * Promise of the same outcome when it gives one.
   */
  invoke(
    handler: RegisteredHandler,
    connection: SocketConnection,
    message: ClientMessage,
    route: ChannelRoute | undefined,
  ): unknown {
    const span = this.start(handler, connection, message.channel);
    const { context, trace } = this.api;
    // No SDK registered (the API's own non-recording span, of no trace): nothing to carry or to
    // end, so no context is made either. A span an SDK's sampler dropped is still carried below,
    // so that the app's spans under it follow its sampling decision.
    if (!this.api.isSpanContextValid(span.spanContext())) return handler.invoke(connection, message.data, route);
    try {
      const active = trace.setSpan(context.active(), span);
      const result = context.with(active, handler.invoke, undefined, connection, message.data, route);
      // Inside the try: reading `then` runs the result's getter, if it has one.
      if (!isThenable(result)) {
        completed(span);
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          completed(span);
          return value;
        },
        (exception: unknown) => {
          this.failed(span, exception);
          throw exception;
        },
      );
    } catch (exception) {
      this.failed(span, exception);
      throw exception;
    }
  }

  private start(handler: RegisteredHandler, connection: SocketConnection, channel: string): Span {
    const { kind, name } = handler.target;
    // One literal per kind, given at the start (samplers read them): no object grown key by key.
    const attributes: Attributes =
      kind === 'action'
        ? { 'rpc.system': 'socketapi', 'rpc.method': name, 'socketapi.connection.id': connection.id }
        : {
            'messaging.system': 'socketapi',
            'messaging.operation.name': 'subscribe',
            'messaging.destination.name': channel,
            'messaging.destination.template': name,
            'socketapi.connection.id': connection.id,
          };
    const spanName = kind === 'action' ? `socketapi action ${name}` : `socketapi subscribe ${name}`;
    return this.tracer.startSpan(spanName, { kind: this.api.SpanKind.SERVER, attributes });
  }

  /** The code the client is told (as the router maps it); `INTERNAL_ERROR` for anything not meant for clients. */
  private failed(span: Span, exception: unknown): void {
    let code: string;
    try {
      code =
        mapException(exception, isGuardException(exception) ? 'guard' : 'handler')?.code ?? ErrorCode.INTERNAL_ERROR;
    } catch {
      code = ErrorCode.INTERNAL_ERROR;
    }
    // A server's fault is worth its stack in the trace; a refusal or a bad request is not an exception.
    if (code === ErrorCode.INTERNAL_ERROR && exception instanceof Error) span.recordException(exception);
    span.setAttributes({ 'socketapi.outcome': 'error', 'error.type': code });
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: code });
    span.end();
  }
}

function completed(span: Span): void {
  span.setAttribute('socketapi.outcome', 'completed');
  span.end();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
