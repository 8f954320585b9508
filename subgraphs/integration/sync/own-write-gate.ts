/**
 * Tells the sync when the integration's own customer writes (createCustomer, updateCustomer) are in
 * flight. Such a write touches both systems in several steps; the events of its first steps arrive
 * while the later ones are still running, and a sync acting on them would see a half-made pair and
 * create a second ERP customer. The sync waits until no own write runs, then sees the finished pair,
 * finds both systems agreeing and writes nothing: the own write is not echoed.
 * In-process: with several replicas, the deterministic idempotency keys of the sync's creations and
 * the kept links are what keeps a pair single.
 */
export class OwnWriteGate {
  private running = 0;
  private waiters: (() => void)[] = [];

  /** Runs one own write, holding the gate shut meanwhile. */
  async run<T>(write: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await write();
    } finally {
      this.running--;
      if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves as soon as no own write is running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
