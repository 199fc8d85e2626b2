import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from './rate-limiter.js';

describe('SlidingWindowLimiter', () => {
  it('admits up to the limit per window and says when to retry', () => {
    const limiter = new SlidingWindowLimiter({ requests: 2, intervalMs: 1000 });
    expect(limiter.admit('k', 0)).toEqual({ ok: true });
    expect(limiter.admit('k', 400)).toEqual({ ok: true });
    expect(limiter.admit('k', 500)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(limiter.admit('other', 500)).toEqual({ ok: true });
    expect(limiter.admit('k', 1000)).toEqual({ ok: true });
  });

  it('never rejects a client pacing evenly at the advertised rate', () => {
    const limiter = new SlidingWindowLimiter({ requests: 5, intervalMs: 1000 });
    for (let t = 0; t < 10_000; t += 200) expect(limiter.admit('k', t).ok).toBe(true);
  });
});
