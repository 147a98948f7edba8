import { inspect } from 'node:util';

/** The exception as a log shows it; never throws, whatever was thrown (a Proxy, a null-prototype object). */
export function describeException(exception: unknown): string {
  try {
    if (exception instanceof Error && typeof exception.stack === 'string') return exception.stack;
    return inspect(exception, { depth: 2, breakLength: Infinity });
  } catch {
    return '(an exception that cannot be printed)';
  }
}
