import { setTimeout as sleep } from "node:timers/promises";

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

/**
 * A sliding window with the same semantics as the exchanges' own (and the
 * simulator's): a call may go when fewer than `requests` calls went in the
 * last window. A small margin absorbs network jitter between our clock and
 * theirs (50 ms or 5%). A penalty (a Retry-After from the exchange) closes it until then.
 */
class SlidingWindow {
  private readonly sent: number[] = [];
  private closedUntil = 0;
  private readonly windowMs: number;

  constructor(readonly limit: RateLimit) {
    this.windowMs = limit.intervalMs + Math.max(50, limit.intervalMs * 0.05);
  }

  /** The earliest time (ms epoch) a call may go. */
  nextFree(now: number): number {
    const n = this.sent.length;
    const byCount = n < this.limit.requests ? now : this.sent[n - this.limit.requests]! + this.windowMs;
    return Math.max(now, byCount, this.closedUntil);
  }

  take(now: number): void {
    this.sent.push(now);
    if (this.sent.length > this.limit.requests) this.sent.splice(0, this.sent.length - this.limit.requests);
  }

  closeUntil(until: number): void {
    this.closedUntil = Math.max(this.closedUntil, until);
  }

  idleSince(now: number): boolean {
    const last = this.sent[this.sent.length - 1] ?? 0;
    return now - last > this.windowMs && now > this.closedUntil;
  }
}

/**
 * Keeps every exchange call of the process within the exchanges' limits at
 * three levels: per account, per user per exchange, and per exchange. Calls
 * wait for their turn rather than fail; `acquire` tells how long they waited.
 */
export class ExchangeRateLimiter {
  private readonly windows = new Map<string, SlidingWindow>();
  private sweepAt = 0;

  constructor(private readonly limitsOf: (exchangeId: string) => ExchangeLimits) {}

  /** Waits until the call may go at all three levels, counts it, and resolves with the wait in ms. */
  async acquire(keys: CallKeys, signal?: AbortSignal): Promise<number> {
    const windows = this.windowsOf(keys);
    const started = Date.now();
    for (;;) {
      const now = Date.now();
      let next = now;
      for (const w of windows) next = Math.max(next, w.nextFree(now));
      if (next <= now) {
        for (const w of windows) w.take(now);
        this.sweep(now);
        return now - started;
      }
      await sleep(next - now, undefined, { signal });
    }
  }

  /** Holds back every call of an account until `untilMs` (the exchange said Retry-After). */
  penalize(keys: CallKeys, untilMs: number): void {
    this.windowsOf(keys)[0]!.closeUntil(untilMs);
  }

  /** How long, from now, an account's calls are held back by a penalty (0 if none). */
  penaltyRemainingMs(keys: CallKeys): number {
    const now = Date.now();
    return Math.max(0, this.windowsOf(keys)[0]!.nextFree(now) - now);
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
    for (const [key, w] of this.windows) if (w.idleSince(now)) this.windows.delete(key);
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
