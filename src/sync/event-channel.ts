/**
 * A one-way queue from a producer that must never wait (a running sync) to
 * one optional consumer (a client's stream). When the consumer goes away,
 * later events are dropped; the producer carries on regardless.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting?: (result: IteratorResult<T>) => void;
  private closed = false;
  private detached = false;
  private failure?: { error: unknown };
  private rejectWaiting?: (error: unknown) => void;

  push(event: T): void {
    if (this.detached || this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.buffer.push(event);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  /** Ends the channel with an error: the consumer gets what was pushed before, then the error. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = { error };
    this.rejectWaiting?.(error);
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const event = this.buffer.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (this.failure && !this.detached) return Promise.reject(this.failure.error);
        if (this.closed || this.detached) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.rejectWaiting = reject;
        });
      },
      return: () => {
        this.detached = true;
        this.buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
