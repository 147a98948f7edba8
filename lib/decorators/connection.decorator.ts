import { CONNECTION_PARAM } from '../socket-api.constants.js';
import { defineParam } from './param-metadata.js';

/** The calling client's `SocketConnection`. */
export function Connection(): ParameterDecorator {
  return defineParam(CONNECTION_PARAM, undefined, []);
}
