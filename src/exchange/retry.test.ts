import { describe, expect, it } from "vitest";
import { withRetry } from "./retry.js";

const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxTotalMs: 1000 };
const transient = new Error("transient");
const fatal = new Error("fatal");

describe("withRetry", () => {
  it("retries retriable failures until success, with growing waits", async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        if (++calls < 4) throw transient;
        return "ok";
      },
      { policy, retriable: (e) => e === transient, onRetry: (_e, d) => delays.push(d), random: () => 1 },
    );
    expect(result).toBe("ok");
    expect(delays).toEqual([10, 20, 40]);
  });

  it("never retries what is not retriable, and stops after maxAttempts", async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw fatal; }, { policy, retriable: (e) => e === transient })).rejects.toBe(fatal);
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw transient; }, { policy, retriable: () => true, random: () => 0 })).rejects.toBe(transient);
    expect(calls).toBe(4);
  });

  it("waits at least what the exchange asked, and gives up when that exceeds the time budget", async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(async () => { if (++calls < 2) throw transient; }, { policy, retriable: () => true, minDelayMs: () => 60, onRetry: (_e, d) => delays.push(d), random: () => 0 });
    expect(delays).toEqual([60]);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw transient; }, { policy, retriable: () => true, minDelayMs: () => 5000 })).rejects.toBe(transient);
    expect(calls).toBe(1);
  });
});
