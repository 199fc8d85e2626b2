/**
 * What is still running, each under a label: the server's open responses, the
 * call observer's handlers (which can outlive their response when the client
 * cancels). Shutdown waits for both to empty before it closes the database.
 */
export class InFlight {
  private readonly running = new Map<object, string>();
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.running.size;
  }

  labels(): string[] {
    return [...this.running.values()];
  }

  start(key: object, label: string): void {
    this.running.set(key, label);
  }

  end(key: object): void {
    this.running.delete(key);
    if (this.running.size === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Resolves true once nothing runs, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
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
