import type { PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/internal';

export type ParamPipe = PipeTransform | Type<PipeTransform>;

/** One decorated parameter, stored as Nest's own param decorators store theirs. */
export interface ParamMetadata {
  index: number;
  data?: string;
  pipes: ParamPipe[];
}

/**
 * Records a handler parameter under Nest's route-args key with the shape Nest uses, so that
 * Nest's scanner registers the parameter's pipe classes as injectables of the host's module.
 */
export function defineParam(kind: string, data: string | undefined, pipes: ParamPipe[]): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) throw new TypeError('socket-api parameter decorators go on methods, not constructors.');
    const args =
      (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) as
        Record<string, ParamMetadata> | undefined) ?? {};
    const param: ParamMetadata = { index, data, pipes };
    Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...args, [`${kind}:${index}`]: param }, target.constructor, key);
  };
}

export function readParams(classRef: Type, methodName: string): Map<string, ParamMetadata[]> {
  const args =
    (Reflect.getMetadata(ROUTE_ARGS_METADATA, classRef, methodName) as Record<string, ParamMetadata> | undefined) ?? {};
  const byKind = new Map<string, ParamMetadata[]>();
  for (const [key, param] of Object.entries(args)) {
    const kind = key.slice(0, key.lastIndexOf(':'));
    byKind.set(kind, [...(byKind.get(kind) ?? []), param]);
  }
  return byKind;
}
