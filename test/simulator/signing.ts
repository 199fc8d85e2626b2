import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from './dialect.js';

/** HMAC as the exchanges use it: a key (text or raw bytes) over UTF-8 text, hex or base64 out. */
export function hmac(
  algorithm: 'sha256' | 'sha384' | 'sha512',
  key: string | Buffer,
  data: string | Buffer,
  encoding: 'hex' | 'base64',
): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

/** SHA-256 digest bytes (Kraken hashes nonce + body before its HMAC). */
export function sha256(data: string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Constant-time comparison of two signatures, false for different lengths or a missing one. */
export function sameSignature(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request header by (lower-case) name, first value only. */
export function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** True when a client time (ms) is no further than `pastMs` behind and `futureMs` ahead of now. */
export function withinWindow(timeMs: number, now: number, pastMs: number, futureMs = pastMs): boolean {
  return Number.isFinite(timeMs) && timeMs >= now - pastMs && timeMs <= now + futureMs;
}

/** Decodes a base64 secret, or undefined when it is not valid base64 (such keys never verify). */
export function base64Key(secret: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) return undefined;
  return Buffer.from(secret, 'base64');
}
