import { describe, expect, it } from "vitest";
import { ExchangeRateLimiter, perMinute } from "./rate-limiter.js";

describe("perMinute", () => {
  it("states a per-minute budget in its finest exact window", () => {
    expect(perMinute(1200)).toEqual({ requests: 20, intervalMs: 1000 });
    expect(perMinute(30)).toEqual({ requests: 1, intervalMs: 2000 });
    expect(perMinute(90)).toEqual({ requests: 3, intervalMs: 2000 });
    expect(perMinute(7)).toEqual({ requests: 7, intervalMs: 60_000 });
  });
});

describe("ExchangeRateLimiter", () => {
  const limits = { perAccount: { requests: 5, intervalMs: 200 }, perUser: { requests: 8, intervalMs: 200 }, perExchange: { requests: 10, intervalMs: 200 } };

  it("never lets more than the limit through in any window, at any level", async () => {
    const limiter = new ExchangeRateLimiter(() => limits);
    const sent: { at: number; account: string; user: string }[] = [];
    const calls = [];
    for (const [user, account] of [["u1", "a1"], ["u1", "a2"], ["u2", "a3"]] as const) {
      for (let i = 0; i < 12; i++) {
        calls.push(
          limiter.acquire({ exchangeId: "x", userId: user, accountId: account }).then(async ({ release }) => {
            sent.push({ at: Date.now(), account, user });
            await new Promise((r) => setTimeout(r, 10)); // the exchange answers
            release();
          }),
        );
      }
    }
    await Promise.all(calls);
    const maxIn = (rows: { at: number }[], windowMs: number) =>
      Math.max(...rows.map((r) => rows.filter((s) => s.at >= r.at && s.at < r.at + windowMs).length));
    expect(maxIn(sent, 200)).toBeLessThanOrEqual(10);
    expect(maxIn(sent.filter((s) => s.user === "u1"), 200)).toBeLessThanOrEqual(8);
    for (const account of ["a1", "a2", "a3"]) expect(maxIn(sent.filter((s) => s.account === account), 200)).toBeLessThanOrEqual(5);
    // 36 calls at 10 per window (200 ms after the answers) take at least 3 windows, and not much more.
    const span = Math.max(...sent.map((s) => s.at)) - Math.min(...sent.map((s) => s.at));
    expect(span).toBeGreaterThanOrEqual(3 * 210);
    expect(span).toBeLessThan(1200);
  });

  it("starts a request's window only once it is answered: a slow answer holds its place", async () => {
    const limiter = new ExchangeRateLimiter(() => ({ perAccount: { requests: 1, intervalMs: 100 }, perUser: limits.perUser, perExchange: limits.perExchange }));
    const keys = { exchangeId: "x", userId: "u", accountId: "slow" };
    const first = await limiter.acquire(keys);
    const second = limiter.acquire(keys);
    await new Promise((r) => setTimeout(r, 300)); // the first answer takes 300 ms
    const answeredAt = Date.now();
    first.release();
    const { release } = await second;
    release();
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(100);
  });

  it("holds an account back until a penalty ends", async () => {
    const limiter = new ExchangeRateLimiter(() => limits);
    const keys = { exchangeId: "x", userId: "u", accountId: "a" };
    limiter.penalize(keys, Date.now() + 150);
    expect(limiter.penaltyRemainingMs(keys)).toBeGreaterThan(100);
    const { waitedMs, release } = await limiter.acquire(keys);
    release();
    expect(waitedMs).toBeGreaterThanOrEqual(140);
  });
});
