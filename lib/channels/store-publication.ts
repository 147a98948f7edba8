import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { HistoryLimits, HistoryStore, StreamPosition } from '../interfaces/channel-stream.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { DEFAULTS } from '../options/defaults.js';
import { HistoryUnavailableError } from '../protocol/errors.js';
import { toPlain } from '../protocol/to-plain.js';

const logger = new Logger('SocketApiChannel');
const errorLog = new ErrorLogLimiter(logger, DEFAULTS.errorLogIntervalMs);

/**
 * A publication to a history channel (`channel` its concrete name), live here or not: serialized once,
 * in the caller's stack (what JSON cannot hold throws), then stored; the store hands it to every
 * instance's channel with its offset. Resolves once stored. A rejection is handled here too, so that a
 * caller that ignores the Promise (code holding the channel as a plain `Channel`) never causes an
 * `unhandledRejection`: an unreachable store logs its outage once itself, anything else is logged here.
 */
export function storePublication(
  store: HistoryStore,
  channel: string,
  limits: HistoryLimits,
  payload: unknown,
  serialization?: ClassTransformOptions,
): Promise<StreamPosition> {
  const plain = toPlain(payload, serialization);
  const data = plain === undefined || plain === null ? '' : JSON.stringify(plain);
  const stored = store.append(channel, data, limits);
  stored.then(undefined, (failure: unknown) => {
    if (!(failure instanceof HistoryUnavailableError)) {
      errorLog.error(`A publication to channel '${channel}' was not stored`, failure);
    }
  });
  return stored;
}
