import { describe, expect, it } from "vitest";
import { KeyPolicy } from "./key-policy.js";

const NOW = Date.parse("2026-12-02T12:00:00Z");
const DAY = 86_400_000;
const safe = { reported: true, withdraw: false };

const reasons = (warnings: string[]) => warnings.map((w) => w.split(":")[0]);

describe("KeyPolicy", () => {
  const strict = new KeyPolicy("strict", () => NOW);
  const warn = new KeyPolicy("warn", () => NOW);

  it("refuses, under strict, a key that can withdraw and one whose permissions could not be read; warns about both under warn", () => {
    const withdraw = { reported: true, withdraw: true };
    const unknown = { reported: false, withdraw: false, unreadable: "data.0.perm: expected string" };
    expect(strict.judge("okx", withdraw, true).refusal?.reason).toBe("EXCHANGE_KEY_CAN_WITHDRAW");
    expect(strict.judge("okx", unknown, true).refusal).toMatchObject({ reason: "EXCHANGE_KEY_PERMISSIONS_UNKNOWN", message: expect.stringContaining("data.0.perm") });
    expect(warn.judge("okx", withdraw, true)).toEqual({ warnings: [expect.stringMatching(/^EXCHANGE_KEY_CAN_WITHDRAW: /)], refusal: undefined });
    expect(reasons(warn.judge("okx", unknown, true).warnings)).toEqual(["EXCHANGE_KEY_PERMISSIONS_UNKNOWN"]);
    expect(strict.judge("okx", safe, true)).toEqual({ warnings: [], refusal: undefined });
  });

  it("lets a key of an exchange that tells no permissions through, saying it could not be checked", () => {
    const verdict = strict.judge("coinbase", { reported: false, withdraw: false }, false);
    expect(verdict.refusal).toBeUndefined();
    expect(reasons(verdict.warnings)).toEqual(["EXCHANGE_KEY_PERMISSIONS_NOT_REPORTED"]);
  });

  it("warns about an expiry within 14 days (or past), not later, from a date or its ISO string", () => {
    expect(reasons(warn.judge("bybit", { ...safe, expiresAt: new Date(NOW + 13 * DAY) }, true).warnings)).toEqual(["EXCHANGE_KEY_EXPIRING"]);
    expect(warn.judge("bybit", { ...safe, expiresAt: new Date(NOW + 13 * DAY).toISOString() }, true).warnings[0]).toContain("expires on 2026-12-15");
    expect(warn.judge("bybit", { ...safe, expiresAt: new Date(NOW - DAY) }, true).warnings[0]).toContain("expired on 2026-12-01");
    expect(warn.judge("bybit", { ...safe, expiresAt: new Date(NOW + 15 * DAY) }, true).warnings).toEqual([]);
    expect(strict.judge("bybit", { ...safe, expiresAt: new Date(NOW + DAY) }, true).refusal).toBeUndefined();
  });

  it("checks, under strict only, a key never checked or checked over a day ago", () => {
    expect(strict.needsCheck(undefined)).toBe(true);
    expect(strict.needsCheck(new Date(NOW - DAY - 1).toISOString())).toBe(true);
    expect(strict.needsCheck(new Date(NOW - DAY + 60_000).toISOString())).toBe(false);
    expect(strict.needsCheck("not a date")).toBe(true);
    expect(warn.needsCheck(undefined)).toBe(false);
  });
});
