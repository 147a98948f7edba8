import { DATA_PARAM } from '../socket-api.constants.js';
import { defineParam, type ParamPipe } from './param-metadata.js';

/**
 * The message's `data` (`@Data()`) or one property of it (`@Data('user')`). The parameter's
 * declared type drives validation: a class is a DTO (class-transformer + class-validator),
 * `number`/`boolean`/`string` are coerced as SocketAPI does, and a missing primitive is
 * `undefined` so that a default value applies. Pipes run after validation.
 */
export function Data(property?: string | ParamPipe, ...pipes: ParamPipe[]): ParameterDecorator {
  if (property === undefined || typeof property === 'string') {
    return defineParam(DATA_PARAM, property, pipes);
  }
  return defineParam(DATA_PARAM, undefined, [property, ...pipes]);
}
