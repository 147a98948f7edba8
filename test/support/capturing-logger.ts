import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  /** Everything logged with the message: a stack, a context. */
  details: string;
}

/** A Nest logger that keeps every line, for tests that count what the server logged (`app.useLogger`). */
export class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }

  /** The error-level lines so far. */
  get errors(): LogLine[] {
    return this.lines.filter((line) => line.level === 'error');
  }

  private keep(level: LogLine['level'], message: unknown, rest: unknown[]): void {
    this.lines.push({ level, message: String(message), details: rest.map(String).join('\n') });
  }
}
