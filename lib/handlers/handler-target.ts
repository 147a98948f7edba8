import type { Type } from '@nestjs/common';

export type HandlerKind = 'action' | 'channel';

/** A decorated method found on a provider or controller, bound to its DI instance. */
export interface HandlerTarget {
  kind: HandlerKind;
  /** The action's or channel's name on the wire. */
  name: string;
  instance: object;
  classRef: Type;
  methodName: string;
  /** The method as declared, before any wrapping: what enhancers' metadata is attached to. */
  method: (...args: unknown[]) => unknown;
  /** Key of the module that holds the provider, to resolve its enhancers. */
  moduleKey: string;
}

export function describeTarget(target: Pick<HandlerTarget, 'classRef' | 'methodName'>): string {
  return `${target.classRef.name}.${target.methodName}()`;
}

/** A mistake in how handlers are declared, reported when the app starts. */
export class SocketApiDeclarationError extends Error {
  constructor(target: Pick<HandlerTarget, 'classRef' | 'methodName'>, problem: string) {
    super(`${describeTarget(target)}: ${problem}`);
    this.name = 'SocketApiDeclarationError';
  }
}
