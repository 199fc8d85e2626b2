import { createHash, randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { pageOf, PageTokens } from "./pagination.js";

const tokens = new PageTokens(randomBytes(32));
const ids = Array.from({ length: 4 }, () => randomUUID());
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: ids[i]!, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }));
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The field named by the ValidationError `run` throws. */
function refusedField(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).violations.map((v) => v.field);
  }
  throw new Error("expected a ValidationError");
}

describe("pagination", () => {
  it("defaults page_size to 50 and caps it at 500", () => {
    expect(tokens.request(0, "", "s").pageSize).toBe(50);
    expect(tokens.request(10_000, "", "s").pageSize).toBe(500);
    expect(refusedField(() => tokens.request(-1, "", "s"))).toEqual(["page_size"]);
  });

  it("hands out a token after a full page and resumes after its last row", () => {
    const first = pageOf(rows(4), tokens.request(3, "", "scope"));
    expect(first.items.map((r) => r.id)).toEqual(ids.slice(0, 3));
    const next = tokens.request(3, first.nextPageToken, "scope");
    expect(next.after).toEqual({ id: ids[2], createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)) });
    expect(pageOf(rows(3), tokens.request(3, "", "scope")).nextPageToken).toBe("");
  });

  it("refuses a token of another query, of another key, altered, or minted by a client, naming page_token", () => {
    const { nextPageToken } = pageOf(rows(2), tokens.request(1, "", "user-a"));
    const [body, mac] = nextPageToken.split(".");
    const sha = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 12);
    const forged = [
      [nextPageToken, "user-b"],
      [nextPageToken, "user-a", new PageTokens(randomBytes(32))],
      [`${b64([Date.UTC(2027, 0, 1), ids[0]])}.${mac}`, "user-a"],
      [`${body}.${mac!.slice(0, -2)}AA`, "user-a"],
      [body!, "user-a"],
      [`${nextPageToken}.x`, "user-a"],
      // The former unkeyed format, which anyone could compute.
      [b64(["x", "not-a-uuid", sha("user-a")]), "user-a"],
      ["garbage", "user-a"],
    ] as const;
    for (const [token, scope, other] of forged) {
      expect(refusedField(() => (other ?? tokens).request(1, token, scope))).toEqual(["page_token"]);
    }
  });

  it("refuses a signed cursor PostgreSQL could not take: a non-UUID id, a time outside years 1-9999, a non-number", () => {
    // Signed with the right key (as a leaked key would let anyone do), still refused.
    const signed = (payload: unknown[]) => (tokens as unknown as { sign(p: unknown[], s: string): string }).sign(payload, "s");
    for (const payload of [[Date.UTC(2026, 0, 1), "x"], [Date.UTC(2026, 0, 1), "0123456789abcdef0123456789abcdeg-xyz"], [Date.UTC(-271820, 0, 1), ids[0]], [Date.UTC(275760, 8, 13), ids[0]], [Date.parse("0000-12-31T23:59:59Z"), ids[0]], [8.64e15 + 1, ids[0]], [1.5, ids[0]], ["2026-01-01", ids[0]], [null, ids[0]], [Date.UTC(2026, 0, 1)]]) {
      expect(refusedField(() => tokens.request(1, signed(payload), "s"))).toEqual(["page_token"]);
    }
    expect(tokens.request(1, signed([Date.parse("9999-12-31T23:59:59.999Z"), ids[0]]), "s").after?.id).toBe(ids[0]);
  });

  it("pages a list held in memory with tokens bound to the query and key", () => {
    const items = ["a", "b", "c"];
    const first = tokens.pageOfList(items, 2, "", "list");
    expect(first.items).toEqual(["a", "b"]);
    expect(tokens.pageOfList(items, 2, first.nextPageToken, "list")).toEqual({ items: ["c"], nextPageToken: "" });
    for (const [token, scope] of [[first.nextPageToken, "other"], [Buffer.from(`2:${"x".repeat(12)}`).toString("base64url"), "list"], [`${b64([-1])}.${first.nextPageToken.split(".")[1]}`, "list"]] as const) {
      expect(refusedField(() => tokens.pageOfList(items, 2, token, scope))).toEqual(["page_token"]);
    }
    expect(refusedField(() => tokens.pageOfList(items, 2, (tokens as unknown as { sign(p: unknown[], s: string): string }).sign([-1], "list"), "list"))).toEqual(["page_token"]);
  });

  it("refuses a key shorter than 32 bytes", () => {
    expect(() => new PageTokens(randomBytes(16))).toThrow(/32 bytes/);
  });
});
