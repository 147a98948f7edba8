import type { RedisBrokerLogger } from '../../lib/index.js';

/** A logger that keeps what it is told, by level: what a test reads to check what was logged, and how often. */
export interface RecordingLogger extends RedisBrokerLogger {
  readonly logs: string[];
  readonly warns: string[];
  readonly errors: string[];
}

export function recordingLogger(): RecordingLogger {
  const logs: string[] = [];
  const warns: string[] = [];
  const errors: string[] = [];
  return {
    logs,
    warns,
    errors,
    log: (message) => void logs.push(message),
    warn: (message) => void warns.push(message),
    error: (message) => void errors.push(message),
  };
}
