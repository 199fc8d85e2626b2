import { setTimeout as sleep } from "node:timers/promises";

/** How hard to try again: bounded in attempts and in total time. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No retry starts after this much time has passed since the first attempt. */
  readonly maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 4000, maxTotalMs: 15_000 };

/**
 * Runs `attempt` until it succeeds, fails with an error `retriable` refuses,
 * or the policy runs out. Waits grow exponentially with full jitter, and are
 * never shorter than what the exchange asked for (`minDelayMs`, Retry-After).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: {
    readonly policy: RetryPolicy;
    readonly retriable: (err: unknown) => boolean;
    readonly minDelayMs?: (err: unknown) => number;
    readonly onRetry?: (err: unknown, delayMs: number) => void;
    readonly random?: () => number;
  },
): Promise<T> {
  const started = Date.now();
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= options.policy.maxAttempts || !options.retriable(err)) throw err;
      const backoff = random() * Math.min(options.policy.maxDelayMs, options.policy.baseDelayMs * 2 ** (n - 1));
      const delay = Math.max(backoff, options.minDelayMs?.(err) ?? 0);
      if (Date.now() - started + delay > options.policy.maxTotalMs) throw err;
      options.onRetry?.(err, delay);
      await sleep(delay);
    }
  }
}
