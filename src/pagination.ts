import { createHmac, timingSafeEqual } from "node:crypto";
import { ValidationError } from "./errors.js";
import { isUuid } from "./validation.js";

/** Where a keyset page starts: after the row with this creation time and id. */
export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

/** A checked page request; it mints the token of the page after it. */
export interface PageRequest {
  readonly pageSize: number;
  readonly after?: Cursor;
  /** The token of the page after `last` (the last row of this page). */
  tokenAfter(last: Cursor): string;
}

/** One page of results and the token of the next one ("" on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

// Years 1 to 9999: well inside PostgreSQL's timestamptz (4713 BC to 294276 AD), and what the driver
// writes as a plain four-digit year. A cursor is the time of a row we wrote, so it is always "now"-ish.
const MIN_TIME = Date.parse("0001-01-01T00:00:00Z");
const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");

const NOT_OURS = "is not a token of this query: pass next_page_token unchanged, with the same filters";

/**
 * Page tokens, authenticated: a token is its cursor and an HMAC-SHA256 over
 * the cursor and the query's scope (its filters, the caller) under a key
 * every replica shares, so a client can neither mint a cursor nor carry a
 * token to another query. A decoded cursor is checked all the same (a UUID,
 * a time PostgreSQL can hold): the key may leak, and what reaches SQL must be
 * well-formed whoever signed it. Made once at start-up, handed to the handlers.
 */
export class PageTokens {
  constructor(private readonly key: Uint8Array) {
    if (key.byteLength < 32) throw new Error("a page token key has at least 32 bytes");
  }

  /** Checks page_size (default 50; above 500 means 500, per AIP-158) and page_token. */
  request(pageSize: number, pageToken: string, scope: string): PageRequest {
    const size = checkedPageSize(pageSize);
    const tokenAfter = (last: Cursor) => this.sign([last.createdAt.getTime(), last.id], scope);
    if (!pageToken) return { pageSize: size, tokenAfter };
    const [time, id] = this.verify(pageToken, scope) ?? [];
    if (typeof time !== "number" || !Number.isSafeInteger(time) || time < MIN_TIME || time > MAX_TIME || typeof id !== "string" || !isUuid(id)) {
      throw badToken();
    }
    return { pageSize: size, after: { createdAt: new Date(time), id }, tokenAfter };
  }

  /**
   * A page of a list held in memory (the exchange catalogue, an exchange's
   * currencies): the token is the offset, bound to the query like any other.
   */
  pageOfList<T>(items: readonly T[], pageSize: number, pageToken: string, scope: string): Page<T> {
    const size = checkedPageSize(pageSize);
    let offset = 0;
    if (pageToken) {
      const [at] = this.verify(pageToken, scope) ?? [];
      if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0) throw badToken();
      offset = at;
    }
    const end = offset + size;
    return { items: items.slice(offset, end), nextPageToken: end < items.length ? this.sign([end], scope) : "" };
  }

  private sign(payload: unknown[], scope: string): string {
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${body}.${this.mac(body, scope).toString("base64url")}`;
  }

  /** The token's payload if this key signed it for this scope. */
  private verify(token: string, scope: string): unknown[] | undefined {
    const [body, mac, extra] = token.split(".");
    if (!body || !mac || extra !== undefined) return undefined;
    const given = Buffer.from(mac, "base64url");
    const expected = this.mac(body, scope);
    if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) return undefined;
    try {
      const payload: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      return Array.isArray(payload) ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(body: string, scope: string): Buffer {
    return createHmac("sha256", this.key).update(JSON.stringify([scope, body])).digest();
  }
}

/** Cuts the extra row a repository fetched (pageSize + 1) into the next page's token. */
export function pageOf<T extends Cursor>(rows: T[], request: PageRequest): Page<T> {
  if (rows.length <= request.pageSize) return { items: rows, nextPageToken: "" };
  const items = rows.slice(0, request.pageSize);
  return { items, nextPageToken: request.tokenAfter(items[items.length - 1]!) };
}

function checkedPageSize(pageSize: number): number {
  if (pageSize < 0) throw new ValidationError([{ field: "page_size", description: "must not be negative" }]);
  return pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
}

function badToken(): ValidationError {
  return new ValidationError([{ field: "page_token", description: NOT_OURS }]);
}
