/**
 * One pass of a poll loop: its work, and how long to wait before the next pass. A pass that throws
 * is handed to `onError`, which says how long to wait then (the loop never stops on an error).
 */
export interface PollPass {
  run(): Promise<number>;
  onError(error: unknown): number;
}

/**
 * Runs a pass, waits the delay it returns, runs it again: one pass at a time, never two at once,
 * so a slow pass delays the next one instead of piling up beside it. `stop` cancels the wait and
 * waits for the pass in hand. The outbox dispatcher, the Tryton change poller and the customer
 * sync's catch-up poll and the reconciliation schedule each run on one.
 */
export class PollLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  constructor(private readonly pass: PollPass) {}

  /** Starts the loop with a pass after `delayMs` (default at once); starting a running loop does nothing. */
  start(delayMs = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(delayMs);
  }

  /** Stops the loop and resolves once the pass in hand, if any, has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass.run().then(
        (next) => this.schedule(next),
        (error: unknown) => this.schedule(this.pass.onError(error)),
      );
    }, delayMs);
  }
}
