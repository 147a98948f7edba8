import { ForbiddenException, Injectable, type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { ExecutionContextHost, FORBIDDEN_MESSAGE } from '@nestjs/core/internal';
import { isObservable, lastValueFrom } from 'rxjs';
import { NO_PARAMS } from '../channels/channel-pattern.js';
import type { SocketConnection } from '../connection/socket-connection.js';
import type { ChannelParams, ChannelRoute } from '../interfaces/channel-stream.interface.js';
import type { HandlerTarget } from './handler-target.js';
import { CHANNEL_PARAM, CONNECTION_PARAM } from '../socket-api.constants.js';
import { NestEnhancers } from './nest-enhancers.js';
import type { BoundParam, ParamsBinder } from './params-binder.js';

/**
 * Runs a handler for one message: the result, a Promise of it, or a throw. `route`: the concrete
 * channel a subscribe asked for (a channel's declared name and no parameters when left out).
 */
export type HandlerInvoker = (connection: SocketConnection, data: unknown, route?: ChannelRoute) => unknown;

/** Whether a channel's guards let a connection in with this data, to this concrete channel. */
export type GuardCheck = (connection: SocketConnection, data: unknown, route: ChannelRoute) => Promise<boolean>;

/**
 * The `ExecutionContext`'s arguments. Nest's `switchToWs().getPattern()` reads the last one, so it
 * stays the declared name; a channel's concrete route sits before it (see `channel-context.ts`).
 */
type Args =
  | [connection: SocketConnection, data: unknown, pattern: string]
  | [connection: SocketConnection, data: unknown, route: ChannelRoute, pattern: string];
type Step = (args: Args) => unknown;

const CONTEXT_TYPE = 'ws';

/** Exceptions thrown by guards, so that the client is told `FORBIDDEN` rather than `BAD_REQUEST`. */
const guardExceptions = new WeakSet<object>();

export function isGuardException(exception: unknown): boolean {
  return typeof exception === 'object' && exception !== null && guardExceptions.has(exception);
}

/**
 * Builds, once per handler, the chain Nest runs around an HTTP route: guards, then interceptors
 * around pipes and the method, with exception filters over all. The `ExecutionContext` is of type
 * `'ws'`: `getClient()` is the `SocketConnection`, `getData()` the message's data, `getPattern()`
 * the action's or channel's name. A stage that no enhancer needs is left out of the chain.
 */
@Injectable()
export class HandlerInvokerFactory {
  constructor(private readonly nest: NestEnhancers) {}

  create(target: HandlerTarget, binder: ParamsBinder): HandlerInvoker {
    const { instance, method, moduleKey } = target;
    let step: Step = this.createCall(target, binder);
    const interceptors = this.nest.interceptors.create(instance, method, moduleKey);
    if (interceptors.length > 0) {
      const inner = step;
      step = (args) =>
        this.nest.interceptorsConsumer
          // eslint-disable-next-line @typescript-eslint/require-await -- `async` turns a synchronous throw or plain value of `inner` into the promise `next` must return
          .intercept(interceptors, args, instance, method, async () => inner(args), CONTEXT_TYPE)
          .then(settle);
    }
    const guards = this.nest.guards.create(instance, method, moduleKey);
    if (guards.length > 0) {
      const inner = step;
      step = async (args) => {
        await this.nest.guardsConsumer.tryActivate(guards, args, instance, method, CONTEXT_TYPE).then(
          (allowed) => {
            if (!allowed) throw markGuardException(new ForbiddenException(FORBIDDEN_MESSAGE));
          },
          (exception: unknown) => {
            throw markGuardException(exception);
          },
        );
        return inner(args);
      };
    }
    const filtered = this.withFilters(target, step);
    if (target.kind === 'action') return (connection, data) => filtered([connection, data, target.name]);
    const declared: ChannelRoute = { name: target.name, params: NO_PARAMS };
    return (connection, data, route = declared) => filtered([connection, data, route, target.name]);
  }

  /**
   * The handler's guards alone, for a connection whose identity changed: they see the `data` of the
   * message they admitted before (a subscription's parameters), and the method does not run.
   * `undefined` when the handler has no guards: nothing to re-check, no data worth keeping.
   */
  createGuardCheck(target: HandlerTarget): GuardCheck | undefined {
    const { instance, method, moduleKey } = target;
    const guards = this.nest.guards.create(instance, method, moduleKey);
    if (guards.length === 0) return undefined;
    return async (connection, data, route) => {
      const args: Args = [connection, data, route, target.name];
      return this.nest.guardsConsumer.tryActivate(guards, args, instance, method, CONTEXT_TYPE).catch(() => false);
    };
  }

  /** Binds `data` to the parameters, runs pipes, calls the method, settles its result. */
  private createCall(target: HandlerTarget, binder: ParamsBinder): Step {
    const { instance, method, moduleKey } = target;
    const commonPipes: PipeTransform[] = this.nest.pipes.create(instance, method, moduleKey);
    this.nest.pipes.setModuleContext(moduleKey);
    const paramPipes = binder.params.map((param) => ({
      param,
      pipes: commonPipes.concat(this.nest.pipes.createConcreteContext(param.pipes)),
    }));
    const piped = paramPipes.filter(({ pipes }) => pipes.length > 0);
    const apply = (values: unknown[]) => settle(callMethod(method, instance, values));
    if (piped.length === 0) {
      return (args) => {
        const values = binder.bind(args[0], args[1], routeParams(args));
        return values instanceof Promise ? values.then(apply) : apply(values);
      };
    }
    return async (args) => {
      const values = await binder.bind(args[0], args[1], routeParams(args));
      for (const { param, pipes } of piped) {
        values[param.index] = await this.nest.pipesConsumer.applyPipes(
          values[param.index],
          argumentMetadata(param),
          pipes,
        );
      }
      return apply(values);
    };
  }

  /** Lets the handler's exception filters (method, class, global) turn an exception into a result. */
  private withFilters(target: HandlerTarget, step: Step): Step {
    const handler = this.nest.filters.create(target.instance, target.method as never, target.moduleKey);
    const filter = (exception: unknown, args: Args): unknown => {
      const host = new ExecutionContextHost(args, target.classRef, target.method);
      host.setType(CONTEXT_TYPE);
      const result = handler.invokeCustomFilters(exception, host);
      // `undefined` means no filter handled it: the exception goes on to the client.
      if (result === undefined) throw exception;
      return settle(result);
    };
    return (args) => {
      try {
        const result = step(args);
        return result instanceof Promise ? result.catch((exception: unknown) => filter(exception, args)) : result;
      } catch (exception) {
        return filter(exception, args);
      }
    };
  }
}

/**
 * `method.apply(instance, values)`: handlers take one or two arguments, and a direct call costs
 * far less than `apply` (which goes through V8's generic array-like call) on every message.
 */
function callMethod(method: (...args: unknown[]) => unknown, instance: object, values: unknown[]): unknown {
  switch (values.length) {
    case 0:
      return method.call(instance);
    case 1:
      return method.call(instance, values[0]);
    case 2:
      return method.call(instance, values[0], values[1]);
    default:
      return method.apply(instance, values);
  }
}

/** A Promise stays a Promise, an Observable becomes a Promise of its last value. */
function settle(result: unknown): unknown {
  // Most results are primitives: no Observable among them, and rxjs's check is a few property reads.
  if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return result;
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
}

function markGuardException(exception: unknown): unknown {
  if (typeof exception === 'object' && exception !== null) guardExceptions.add(exception);
  return exception;
}

function routeParams(args: Args): ChannelParams | undefined {
  return args.length === 4 ? args[2].params : undefined;
}

function argumentMetadata(param: BoundParam): ArgumentMetadata {
  // `body` makes Nest's ValidationPipe treat the message data as it treats a request body, and a
  // channel parameter as it treats a route parameter.
  const type = param.kind === CONNECTION_PARAM ? 'custom' : param.kind === CHANNEL_PARAM ? 'param' : 'body';
  return { type, metatype: param.metatype as Type | undefined, data: param.property };
}
