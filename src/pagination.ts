import { createHash } from "node:crypto";
import { ValidationError } from "./errors.js";

/** Where a keyset page starts: after the row with this creation time and id. */
export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

/** A checked page request. */
export interface PageRequest {
  readonly pageSize: number;
  readonly after?: Cursor;
}

/** One page of results and the token of the next one ("" on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * Checks page_size (default 50; above 500 means 500, per AIP-158) and decodes
 * page_token. A token only fits the query it came from: `scope` (the query's
 * filters) is hashed into it, and a token from another query is refused.
 */
export function pageRequest(pageSize: number, pageToken: string, scope: string): PageRequest {
  if (pageSize < 0) throw new ValidationError([{ field: "page_size", description: "must not be negative" }]);
  const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
  if (!pageToken) return { pageSize: size };
  return { pageSize: size, after: decodeToken(pageToken, scope) };
}

/** Cuts the extra row a repository fetched (pageSize + 1) into the next page's token. */
export function pageOf<T extends { createdAt: Date; id: string }>(rows: T[], request: PageRequest, scope: string): Page<T> {
  if (rows.length <= request.pageSize) return { items: rows, nextPageToken: "" };
  const items = rows.slice(0, request.pageSize);
  const last = items[items.length - 1]!;
  return { items, nextPageToken: encodeToken({ createdAt: last.createdAt, id: last.id }, scope) };
}

function encodeToken(cursor: Cursor, scope: string): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id, scopeHash(scope)])).toString("base64url");
}

function decodeToken(token: string, scope: string): Cursor {
  try {
    const [at, id, hash] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    const createdAt = new Date(String(at));
    if (typeof id === "string" && hash === scopeHash(scope) && !Number.isNaN(createdAt.getTime())) {
      return { createdAt, id };
    }
  } catch {
    // falls through to the error below
  }
  throw new ValidationError([
    { field: "page_token", description: "is not a token of this query: pass next_page_token unchanged, with the same filters" },
  ]);
}

function scopeHash(scope: string): string {
  return createHash("sha256").update(scope).digest("base64url").slice(0, 12);
}

/**
 * A page of a list held in memory (the exchange catalogue, an exchange's
 * currencies): the token is the offset, bound to the query like any other.
 */
export function pageOfList<T>(items: readonly T[], pageSize: number, pageToken: string, scope: string): Page<T> {
  if (pageSize < 0) throw new ValidationError([{ field: "page_size", description: "must not be negative" }]);
  let offset = 0;
  if (pageToken) {
    const [at, hash] = Buffer.from(pageToken, "base64url").toString("utf8").split(":");
    offset = Number(at);
    if (hash !== scopeHash(scope) || !Number.isInteger(offset) || offset < 0) {
      throw new ValidationError([{ field: "page_token", description: "is not a token of this query: pass next_page_token unchanged, with the same filters" }]);
    }
  }
  const end = offset + (pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE));
  return {
    items: items.slice(offset, end),
    nextPageToken: end < items.length ? Buffer.from(`${end}:${scopeHash(scope)}`).toString("base64url") : "",
  };
}
