import { type BytesCoder, bech32, bech32m } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";

/** Why an address or tag was refused: its shape, its checksum, or its tag. */
export interface FormatFailure {
  readonly failed: "format" | "checksum" | "tag";
  readonly reason: string;
}

/** A failure, for rules to return. */
export function fail(failed: FormatFailure["failed"], reason: string): FormatFailure {
  return { failed, reason };
}

export function isFailure(value: unknown): value is FormatFailure {
  return typeof value === "object" && value !== null && "failed" in value && "reason" in value;
}

/**
 * Base58Check (https://en.bitcoin.it/wiki/Base58Check_encoding): the payload
 * of `text` in `alphabet`, after its 4-byte double-SHA-256 checksum. The
 * alphabet is a parameter because XRP uses the same scheme with its own.
 */
export function base58CheckPayload(alphabet: BytesCoder, text: string): Uint8Array | FormatFailure {
  let bytes: Uint8Array;
  try {
    bytes = alphabet.decode(text);
  } catch {
    return fail("format", "not base58");
  }
  if (bytes.length < 5) return fail("format", "too short for base58check");
  const payload = bytes.subarray(0, bytes.length - 4);
  const sum = sha256(sha256(payload));
  for (let i = 0; i < 4; i++) if (sum[i] !== bytes[payload.length + i]) return fail("checksum", "base58check checksum does not match");
  return payload;
}

/** A bech32 or bech32m string, decoded; which of the two checksums it carries matters to segwit (BIP-350). */
export interface Bech32String {
  readonly variant: "bech32" | "bech32m";
  readonly prefix: string;
  readonly words: number[];
}

/**
 * Decodes a BIP-173 bech32 or BIP-350 bech32m string (one case only, as both
 * require). `limit` is BIP-173's 90 characters, or false where a chain lifts
 * it (Cardano, CIP-19).
 */
export function decodeBech32(text: string, limit: number | false = 90): Bech32String | FormatFailure {
  for (const [variant, coder] of [["bech32", bech32], ["bech32m", bech32m]] as const) {
    try {
      const { prefix, words } = coder.decode(text, limit);
      return { variant, prefix, words };
    } catch (err) {
      // Only a checksum mismatch is worth the other variant: every other error is the same for both.
      if (!/checksum/i.test((err as Error).message)) return fail("format", "not a bech32 string");
    }
  }
  return fail("checksum", "bech32 checksum does not match");
}

/** 5-bit words as bytes, refusing non-zero padding (BIP-173's convertbits without padding). */
export function wordsToBytes(words: number[]): Uint8Array | undefined {
  return bech32.fromWordsUnsafe(words) || undefined;
}

const CASHADDR_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CASHADDR_GENERATORS = [0x98f2bc8e61n, 0x79b76d99e2n, 0xf33e5fb3c4n, 0xae2eabe2a8n, 0x1e4f43e470n];

/** CashAddr's 40-bit BCH-code checksum (https://github.com/bitcoincashorg/bitcoincash.org/blob/master/spec/cashaddr.md#checksum). */
function cashAddrPolymod(values: readonly number[]): bigint {
  let c = 1n;
  for (const d of values) {
    const c0 = c >> 35n;
    c = ((c & 0x07ffffffffn) << 5n) ^ BigInt(d);
    CASHADDR_GENERATORS.forEach((g, i) => {
      if ((c0 >> BigInt(i)) & 1n) c ^= g;
    });
  }
  return c ^ 1n;
}

/**
 * A CashAddr payload (version byte and hash) under `prefix`, checksum
 * verified. `text` is lower-case, with or without its "prefix:" part.
 */
export function cashAddrPayload(text: string, prefix: string): Uint8Array | FormatFailure {
  const body = text.startsWith(`${prefix}:`) ? text.slice(prefix.length + 1) : text;
  const words: number[] = [];
  for (const ch of body) {
    const word = CASHADDR_CHARSET.indexOf(ch);
    if (word < 0) return fail("format", "not a cashaddr string");
    words.push(word);
  }
  if (words.length <= 8) return fail("format", "too short for cashaddr");
  const prefixWords = [...prefix].map((ch) => ch.charCodeAt(0) & 0x1f);
  if (cashAddrPolymod([...prefixWords, 0, ...words]) !== 0n) return fail("checksum", "cashaddr checksum does not match");
  return wordsToBytes(words.slice(0, -8)) ?? fail("format", "cashaddr payload has bad padding");
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0): TON's user-friendly addresses and Stellar's StrKeys both use it. */
export function crc16Xmodem(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** One CBOR data item's head (RFC 8949 §3): major type, argument, and where its content starts. */
export interface CborHead {
  readonly major: number;
  readonly value: number;
  readonly next: number;
}

/** Reads the head at `at`; undefined for indefinite lengths, 64-bit arguments or a truncated head. */
export function cborHead(bytes: Uint8Array, at: number): CborHead | undefined {
  const first = bytes[at];
  if (first === undefined) return undefined;
  const major = first >> 5;
  const info = first & 0x1f;
  if (info < 24) return { major, value: info, next: at + 1 };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
  if (size === 0 || at + 1 + size > bytes.length) return undefined;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + bytes[at + i]!;
  return { major, value, next: at + 1 + size };
}
