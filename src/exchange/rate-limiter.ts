/** At most `requests` calls in any window of `intervalMs`. */
export interface RateLimit {
  readonly requests: number;
  readonly intervalMs: number;
}

/** The limits of one exchange at the three levels the exchanges themselves count. */
export interface ExchangeLimits {
  /** Per API key. */
  readonly perAccount: RateLimit;
  /** Per user on that exchange (exchanges count per UID across a user's keys). */
  readonly perUser: RateLimit;
  /** Per exchange across every user of this process (the shared egress IP). */
  readonly perExchange: RateLimit;
}

/** Who a call is made for: the three keys it is counted under. */
export interface CallKeys {
  readonly exchangeId: string;
  readonly userId: string;
  readonly accountId: string;
}

/** Hand back when the exchange has answered (or the request failed). */
export type Release = () => void;

/** Room for the small difference between our clock and the exchange's. */
const MARGIN_MS = 10;

/**
 * A sliding window with the exchanges' semantics (at most `requests` in any
 * `intervalMs`), counted conservatively: a request holds its place from the
 * moment it is sent until its answer is back, and its window only starts
 * then. The exchange counted it at arrival, before it answered, so however
 * late our requests reach it, a window of ours never overlaps one of theirs.
 * A penalty (the exchange's Retry-After) closes the window until it ends.
 */
class SlidingWindow {
  private inflight = 0;
  private readonly done: number[] = [];
  private closedUntil = 0;

  constructor(readonly limit: RateLimit) {}

  /** 0 when a request may go now; otherwise how long to wait at least (Infinity: until a release). */
  waitMs(now: number): number {
    if (now < this.closedUntil) return this.closedUntil - now;
    const windowStart = now - this.limit.intervalMs - MARGIN_MS;
    while (this.done.length > 0 && this.done[0]! <= windowStart) this.done.shift();
    if (this.inflight + this.done.length < this.limit.requests) return 0;
    return this.done.length > 0 ? this.done[0]! - windowStart : Infinity;
  }

  take(): void {
    this.inflight++;
  }

  release(now: number): void {
    this.inflight--;
    this.done.push(now);
  }

  closeUntil(until: number): void {
    this.closedUntil = Math.max(this.closedUntil, until);
  }

  isIdle(now: number): boolean {
    return this.inflight === 0 && this.waitMs(now) === 0 && this.done.length === 0;
  }
}

/**
 * Keeps every exchange request of the process within the exchanges' limits at
 * three levels: per account, per user per exchange, and per exchange. Requests
 * wait for their turn rather than fail; `acquire` tells how long they waited.
 */
export class ExchangeRateLimiter {
  private readonly windows = new Map<string, SlidingWindow>();
  private released: (() => void)[] = [];
  private sweepAt = 0;

  constructor(private readonly limitsOf: (exchangeId: string) => ExchangeLimits) {}

  /** Waits until a request may go at all three levels and counts it; call `release` once it is answered. */
  async acquire(keys: CallKeys, signal?: AbortSignal): Promise<{ waitedMs: number; release: Release }> {
    const windows = this.windowsOf(keys);
    const started = Date.now();
    for (;;) {
      const now = Date.now();
      const wait = Math.max(...windows.map((w) => w.waitMs(now)));
      if (wait === 0) {
        for (const w of windows) w.take();
        this.sweep(now);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          const at = Date.now();
          for (const w of windows) w.release(at);
          const waiting = this.released;
          this.released = [];
          for (const wake of waiting) wake();
        };
        return { waitedMs: now - started, release };
      }
      // Wake at the window's turn, or when any request is answered.
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(wait) ? setTimeout(resolve, wait) : undefined;
        this.released.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      signal?.throwIfAborted();
    }
  }

  /** Holds back every request of an account until `untilMs` (the exchange said Retry-After). */
  penalize(keys: CallKeys, untilMs: number): void {
    this.windowsOf(keys)[0].closeUntil(untilMs);
  }

  /** How long, from now, an account's requests are held back by a penalty or a full window (0 if none). */
  penaltyRemainingMs(keys: CallKeys): number {
    const wait = this.windowsOf(keys)[0].waitMs(Date.now());
    return Number.isFinite(wait) ? wait : 0;
  }

  private windowsOf(keys: CallKeys): [SlidingWindow, SlidingWindow, SlidingWindow] {
    const limits = this.limitsOf(keys.exchangeId);
    return [
      this.window(`account:${keys.accountId}`, limits.perAccount),
      this.window(`user:${keys.exchangeId}:${keys.userId}`, limits.perUser),
      this.window(`exchange:${keys.exchangeId}`, limits.perExchange),
    ];
  }

  private window(key: string, limit: RateLimit): SlidingWindow {
    let w = this.windows.get(key);
    if (!w || w.limit.requests !== limit.requests || w.limit.intervalMs !== limit.intervalMs) {
      w = new SlidingWindow(limit);
      this.windows.set(key, w);
    }
    return w;
  }

  /** Forgets idle windows now and then, so the map does not grow with every account ever seen. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [key, w] of this.windows) if (w.isIdle(now)) this.windows.delete(key);
  }
}

/**
 * The finest window that states a per-minute budget exactly: 1200/min is 20
 * per second, 30/min is 1 per 2 s. Spreading the budget this way keeps bursts
 * within what the exchanges' shorter windows allow.
 */
export function perMinute(requestsPerMinute: number): RateLimit {
  const n = Math.max(1, Math.floor(requestsPerMinute));
  const g = gcd(n, 60);
  return { requests: n / g, intervalMs: 60_000 / g };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
