import type { RateLimitSpec } from './types.js';

/** Outcome of one admission check. */
export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A sliding-window limiter: at most `requests` accepted per `intervalMs` per bucket (an API key or
 * a client IP). Sliding rather than fixed windows, so a client that bursts at a window edge is
 * caught, and one that paces evenly at the advertised rate never is. Rejected calls do not count.
 */
export class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(readonly spec: RateLimitSpec) {}

  /** Admits or rejects one request of `bucket` at `now` (ms). */
  admit(bucket: string, now: number): Admission {
    const since = now - this.spec.intervalMs;
    const times = (this.accepted.get(bucket) ?? []).filter((t) => t > since);
    if (times.length >= this.spec.requests) {
      this.accepted.set(bucket, times);
      const oldest = times[0] ?? now;
      return { ok: false, retryAfterMs: Math.max(1, oldest + this.spec.intervalMs - now) };
    }
    times.push(now);
    this.accepted.set(bucket, times);
    return { ok: true };
  }
}
