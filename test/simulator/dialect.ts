import type { IncomingHttpHeaders } from 'node:http';
import type { SimAccount } from './account.js';
import type { Catalogue } from './catalogue.js';
import type { ExchangeId, FaultKind } from './types.js';

/** A request as dialects see it: the raw pieces they need to verify a signature byte for byte. */
export interface SimRequest {
  method: string;
  path: string;
  /** The query string exactly as sent, without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  ip: string;
  now: number;
}

/** What the server writes back. */
export interface SimReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Everything that can go wrong, answered in the exchange's own words by `Dialect.error`. */
export type ErrorKind = Exclude<FaultKind, 'timeout' | 'reply'> | 'not_found' | 'bad_request' | 'invalid_nonce';

/** Why a signed request was refused; dialects answer each with the exchange's own code. */
export type AuthFailure = 'key' | 'signature' | 'passphrase' | 'timestamp';

/** Outcome of checking a signed request. */
export type Verdict = { ok: true; account: SimAccount } | { ok: false; failure: AuthFailure; apiKey?: string };

/** Exchange state a route handler reads and changes. */
export interface RouteContext {
  req: SimRequest;
  /** The verified account on signed routes; undefined on public ones. */
  account: SimAccount | undefined;
  /** Every key of the verified account's exchange user (itself included), in registration order; empty on public routes. */
  peers: readonly SimAccount[];
  catalogue: Catalogue;
  pathParams: Record<string, string>;
}

/** One endpoint. `open` routes skip the `read` permission check (permission endpoints). */
export interface Route {
  signed: boolean;
  open?: boolean;
  handle(ctx: RouteContext): SimReply;
}

/** The exchange-specific half of the simulator: signing, routing and error shapes. */
export interface Dialect {
  readonly id: ExchangeId;
  /** The API key a request claims, before verification (for rate-limit buckets and the log). */
  claimedKey(req: SimRequest): string | undefined;
  /** The endpoint for a request, or undefined (answered as `not_found`). */
  match(req: SimRequest): { route: Route; pathParams: Record<string, string> } | undefined;
  /** Checks a signed request the way the exchange does. */
  verify(req: SimRequest, lookup: (apiKey: string) => SimAccount | undefined): Verdict;
  /** The exchange's own answer for a failure; must make CCXT raise the matching error class. */
  error(kind: ErrorKind, detail?: AuthFailure | string): SimReply;
}

/** Thrown by handlers for business failures (unknown coin, no address); the server answers it. */
export class SimError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The verified account of a signed route (a programming error to ask on a public one). */
export function accountOf(ctx: RouteContext): SimAccount {
  if (ctx.account === undefined) throw new Error(`route ${ctx.req.path} is not signed`);
  return ctx.account;
}

/** A JSON reply. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): SimReply {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

/** A plain-text reply: CCXT falls through to its HTTP-status table for non-JSON bodies. */
export function text(body: string, status: number): SimReply {
  return { status, body, headers: { 'content-type': 'text/plain' } };
}

/** A JSON prefix cut off mid-way: what a broken proxy or a crashed worker sends. */
export function truncated(body: unknown): SimReply {
  const full = JSON.stringify(body);
  return { status: 200, body: full.slice(0, Math.max(1, Math.floor(full.length / 2))), headers: { 'content-type': 'application/json' } };
}
