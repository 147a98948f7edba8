import type { Logger } from '@nestjs/common';

const WINDOW_MS = 60_000;

/**
 * Warnings that clients can cause (refused origins, handshakes that time out): the first
 * `perMinute` of each minute at warn level, the rest at debug level, so that no client can flood
 * the log while a misconfiguration still shows.
 */
export class ThrottledWarnings {
  private windowStart = -Infinity;
  private count = 0;

  constructor(
    private readonly logger: Logger,
    private readonly perMinute = 10,
  ) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    if (this.count < this.perMinute) this.logger.warn(message);
    else if (this.count === this.perMinute) this.logger.warn(`${message} (more of these this minute: debug level)`);
    else this.logger.debug(message);
  }
}
