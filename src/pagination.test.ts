import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { pageOf, pageRequest } from "./pagination.js";

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }));

describe("pagination", () => {
  it("defaults page_size to 50 and caps it at 500", () => {
    expect(pageRequest(0, "", "s").pageSize).toBe(50);
    expect(pageRequest(10_000, "", "s").pageSize).toBe(500);
    expect(() => pageRequest(-1, "", "s")).toThrow(ValidationError);
  });

  it("hands out a token after a full page and resumes after its last row", () => {
    const first = pageOf(rows(4), pageRequest(3, "", "scope"), "scope");
    expect(first.items.map((r) => r.id)).toEqual(["id-0", "id-1", "id-2"]);
    const next = pageRequest(3, first.nextPageToken, "scope");
    expect(next.after).toEqual({ id: "id-2", createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)) });
    expect(pageOf(rows(3), pageRequest(3, "", "scope"), "scope").nextPageToken).toBe("");
  });

  it("refuses a token of another query or a forged one, naming page_token", () => {
    const { nextPageToken } = pageOf(rows(2), pageRequest(1, "", "user-a"), "user-a");
    for (const [token, scope] of [[nextPageToken, "user-b"], ["garbage", "user-a"], [Buffer.from("[1,2,3]").toString("base64url"), "user-a"]]) {
      try {
        pageRequest(1, token!, scope!);
        expect.unreachable();
      } catch (err) {
        expect((err as ValidationError).violations.map((v) => v.field)).toEqual(["page_token"]);
      }
    }
  });
});
