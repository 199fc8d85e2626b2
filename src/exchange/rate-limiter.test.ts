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
        calls.push(limiter.acquire({ exchangeId: "x", userId: user, accountId: account }).then(() => sent.push({ at: Date.now(), account, user })));
      }
    }
    await Promise.all(calls);
    const maxIn = (rows: { at: number }[], windowMs: number) =>
      Math.max(...rows.map((r) => rows.filter((s) => s.at >= r.at && s.at < r.at + windowMs).length));
    expect(maxIn(sent, 200)).toBeLessThanOrEqual(10);
    expect(maxIn(sent.filter((s) => s.user === "u1"), 200)).toBeLessThanOrEqual(8);
    for (const account of ["a1", "a2", "a3"]) expect(maxIn(sent.filter((s) => s.account === account), 200)).toBeLessThanOrEqual(5);
    // 36 calls at 10 per ~200 ms take at least 3 windows, and not much more.
    const span = Math.max(...sent.map((s) => s.at)) - Math.min(...sent.map((s) => s.at));
    expect(span).toBeGreaterThanOrEqual(600);
    expect(span).toBeLessThan(1200);
  });

  it("holds an account back until a penalty ends", async () => {
    const limiter = new ExchangeRateLimiter(() => limits);
    const keys = { exchangeId: "x", userId: "u", accountId: "a" };
    limiter.penalize(keys, Date.now() + 150);
    expect(limiter.penaltyRemainingMs(keys)).toBeGreaterThan(100);
    const waited = await limiter.acquire(keys);
    expect(waited).toBeGreaterThanOrEqual(140);
  });
});
