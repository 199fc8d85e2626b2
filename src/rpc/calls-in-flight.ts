/**
 * Counts the calls whose handlers still run. A handler can outlive its HTTP
 * response (the client cancelled, the connection broke), so shutdown waits
 * for this as well as for the connections before it closes the database.
 */
export class CallsInFlight {
  private running = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.running;
  }

  start(): void {
    this.running++;
  }

  end(): void {
    this.running--;
    if (this.running === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Resolves true once no call runs, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}
