import { base32, base58, base58xrp, base64, base64url } from "@scure/base";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { crc32 } from "node:zlib";
import { base58CheckPayload, cashAddrPayload, cborHead, crc16Xmodem, decodeBech32, fail, type FormatFailure, isFailure, wordsToBytes } from "./address-codecs.js";

/** Checks one address of a chain; `testnet` also admits the chain's test network forms (sandbox accounts). */
export type AddressRule = (address: string, testnet: boolean) => FormatFailure | undefined;

/** A Bitcoin-like chain's address parameters on one network. */
interface BitcoinNet {
  /** Segwit HRP; absent where the chain has no segwit. */
  readonly hrp?: string;
  /** Base58Check version bytes of P2PKH and P2SH addresses. */
  readonly versions: readonly number[];
}

/**
 * Bitcoin and its forks: Base58Check P2PKH/P2SH (21-byte payload: version
 * and HASH160), and segwit where the chain has it. Segwit follows BIP-173
 * (v0, bech32, 20- or 32-byte program, BIP-141) and BIP-350 (v1+, bech32m);
 * only v0 and v1 (taproot: 32 bytes that are a key, BIP-341) are taken: an
 * output of a higher version is spendable by anyone until a soft fork gives
 * it meaning.
 */
export function bitcoinLike(main: BitcoinNet, test: BitcoinNet): AddressRule {
  return (address, testnet) => {
    const lower = address.toLowerCase();
    for (const [net, isTest] of [[main, false], [test, true]] as const) {
      if (!net.hrp || !lower.startsWith(`${net.hrp}1`)) continue;
      if (isTest && !testnet) return fail("format", "a testnet address");
      return segwit(address, net.hrp);
    }
    const payload = base58CheckPayload(base58, address);
    if (isFailure(payload)) return payload;
    if (payload.length !== 21) return fail("format", "base58check payload is not 21 bytes");
    if (main.versions.includes(payload[0]!)) return undefined;
    if (test.versions.includes(payload[0]!)) return testnet ? undefined : fail("format", "a testnet address");
    return fail("format", "unknown base58check version byte");
  };
}

function segwit(address: string, hrp: string): FormatFailure | undefined {
  const decoded = decodeBech32(address);
  if (isFailure(decoded)) return decoded;
  if (decoded.prefix !== hrp) return fail("format", "wrong bech32 prefix");
  const [version, ...rest] = decoded.words;
  const program = wordsToBytes(rest);
  if (version === undefined || !program) return fail("format", "not a segwit address");
  if (version === 0) {
    if (decoded.variant !== "bech32") return fail("checksum", "a witness v0 address must carry a bech32 checksum");
    return program.length === 20 || program.length === 32 ? undefined : fail("format", "witness v0 program is not 20 or 32 bytes");
  }
  if (version === 1) {
    if (decoded.variant !== "bech32m") return fail("checksum", "a witness v1 address must carry a bech32m checksum");
    if (program.length !== 32) return fail("format", "witness v1 program is not 32 bytes");
    return isSecp256k1X(program) ? undefined : fail("format", "witness v1 program is not a public key: coins sent there are lost");
  }
  return fail("format", `witness version ${version} is not in use`);
}

const SECP256K1_P = 2n ** 256n - 2n ** 32n - 977n;

/** Whether 32 bytes are the x of a secp256k1 point, as BIP-341's lift_x needs: x < p and x³ + 7 a square mod p (Euler's criterion). */
function isSecp256k1X(bytes: Uint8Array): boolean {
  const x = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
  if (x >= SECP256K1_P) return false;
  const c = (x ** 3n + 7n) % SECP256K1_P;
  let result = 1n;
  for (let base = c, e = (SECP256K1_P - 1n) / 2n; e > 0n; e >>= 1n, base = (base * base) % SECP256K1_P) {
    if (e & 1n) result = (result * base) % SECP256K1_P;
  }
  return result === 1n || c === 0n;
}

/**
 * EVM chains: "0x" and 40 hex digits; mixed case must be the EIP-55 checksum
 * (https://eips.ethereum.org/EIPS/eip-55): a letter is upper case where the
 * nibble of keccak256(lower-case hex) at its position is 8 or more. One case
 * only carries no checksum and is taken, as EIP-55 keeps it valid.
 */
export const evm: AddressRule = (address) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return fail("format", 'not "0x" and 40 hex digits');
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return undefined;
  const hash = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const ch = hex[i]!;
    if (ch >= "0" && ch <= "9") continue;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    if ((nibble >= 8) !== (ch >= "A" && ch <= "F")) return fail("checksum", "EIP-55 checksum does not match");
  }
  return undefined;
};

/** TRON: Base58Check of 0x41 and 20 bytes (https://developers.tron.network/docs/account#address-format); Nile and Shasta share it. */
export const tron: AddressRule = (address) => {
  const payload = base58CheckPayload(base58, address);
  if (isFailure(payload)) return payload;
  return payload.length === 21 && payload[0] === 0x41 ? undefined : fail("format", "not 0x41 and 20 bytes");
};

/**
 * XRP Ledger classic address: Base58Check in the ledger's alphabet of type
 * prefix 0x00 and a 20-byte account id (https://xrpl.org/docs/references/protocol/data-types/base58-encodings).
 * X-addresses (tag packed in) are not what exchanges answer beside a tag: refused.
 */
export const xrp: AddressRule = (address) => {
  if (!address.startsWith("r")) return fail("format", "not a classic address (r...)");
  const payload = base58CheckPayload(base58xrp, address);
  if (isFailure(payload)) return payload;
  return payload.length === 21 && payload[0] === 0x00 ? undefined : fail("format", "not type 0x00 and 20 bytes");
};

/** Solana: a 32-byte public key in base58 (https://solana.com/docs/core/accounts); the format has no checksum. */
export const solana: AddressRule = (address) => {
  if (address.length < 32 || address.length > 44) return fail("format", "not 32 to 44 base58 characters");
  try {
    return base58.decode(address).length === 32 ? undefined : fail("format", "not 32 bytes");
  } catch {
    return fail("format", "not base58");
  }
};

/**
 * TON (TEP-2, https://github.com/ton-blockchain/TEPs/blob/master/text/0002-address.md):
 * raw "workchain:64 hex" (no checksum), or user-friendly, 48 characters of
 * base64 or base64url for 36 bytes: flags (0x11 bounceable, 0x51 not, +0x80
 * test-only), workchain (0 or -1), 32-byte account id, CRC16/XMODEM big-endian.
 */
export const ton: AddressRule = (address, testnet) => {
  if (/^(0|-1):[0-9a-fA-F]{64}$/.test(address)) return undefined;
  if (address.length !== 48) return fail("format", "not a raw or 48-character user-friendly TON address");
  let bytes: Uint8Array;
  try {
    bytes = (/[-_]/.test(address) ? base64url : base64).decode(address);
  } catch {
    return fail("format", "not base64");
  }
  const [flags, workchain] = [bytes[0]!, bytes[1]!];
  if ((flags & 0x7f) !== 0x11 && (flags & 0x7f) !== 0x51) return fail("format", "unknown TON address flags");
  if (workchain !== 0x00 && workchain !== 0xff) return fail("format", "unknown TON workchain");
  if (crc16Xmodem(bytes.subarray(0, 34)) !== ((bytes[34]! << 8) | bytes[35]!)) return fail("checksum", "TON address CRC16 does not match");
  return flags & 0x80 && !testnet ? fail("format", "a test-only TON address") : undefined;
};

/**
 * Stellar account id: StrKey (SEP-23, https://github.com/stellar/stellar-protocol/blob/master/ecosystem/sep-0023.md),
 * RFC 4648 base32 of version byte 6<<3 ("G"), a 32-byte ed25519 key and a
 * CRC16/XMODEM little-endian. Muxed "M..." accounts are not deposit addresses
 * exchanges give beside a memo: refused.
 */
export const stellar: AddressRule = (address) => {
  if (address.length !== 56 || !address.startsWith("G")) return fail("format", "not a 56-character G... account id");
  let bytes: Uint8Array;
  try {
    bytes = base32.decode(address);
  } catch {
    return fail("format", "not base32");
  }
  if (bytes[0] !== 6 << 3) return fail("format", "not an account id StrKey");
  return crc16Xmodem(bytes.subarray(0, 33)) === (bytes[33]! | (bytes[34]! << 8)) ? undefined : fail("checksum", "StrKey CRC16 does not match");
};

/**
 * Bitcoin Cash: CashAddr (https://github.com/bitcoincashorg/bitcoincash.org/blob/master/spec/cashaddr.md)
 * with or without its prefix, version byte P2KH (0) or P2SH (8) with a
 * 160-bit hash; or the legacy Base58Check form the chain kept (0x00, 0x05).
 */
export const bitcoinCash: AddressRule = (address, testnet) => {
  const legacy = bitcoinLike({ versions: [0x00, 0x05] }, { versions: [0x6f, 0xc4] });
  if (/^[13mn2]/.test(address)) return legacy(address, testnet);
  const lower = address.toLowerCase();
  if (lower !== address && address.toUpperCase() !== address) return fail("format", "mixed case");
  const prefixes = testnet ? ["bitcoincash", "bchtest"] : ["bitcoincash"];
  const named = /^([a-z]+):/.exec(lower)?.[1];
  if (named && !prefixes.includes(named)) return fail("format", named === "bchtest" ? "a testnet address" : "wrong cashaddr prefix");
  let last: FormatFailure | undefined;
  for (const prefix of named ? [named] : prefixes) {
    const payload = cashAddrPayload(lower, prefix);
    if (isFailure(payload)) {
      last = payload;
      continue;
    }
    return payload.length === 21 && (payload[0] === 0x00 || payload[0] === 0x08) ? undefined : fail("format", "not a P2KH or P2SH 160-bit cashaddr");
  }
  return last;
};

/**
 * Cardano (CIP-19, https://github.com/cardano-foundation/CIPs/tree/master/CIP-0019):
 * Shelley payment addresses in bech32 without its length limit, HRP "addr"
 * (network tag 1) or "addr_test" (0), header types 0-7 (base, pointer,
 * enterprise; stake addresses cannot receive payments); or Byron base58 CBOR
 * [tag 24 (payload), crc32 (payload)].
 */
export const cardano: AddressRule = (address, testnet) => {
  const lower = address.toLowerCase();
  if (/^addr(_test)?1/.test(lower)) return shelley(address, testnet);
  if (/^stake(_test)?1/.test(lower)) return fail("format", "a stake address, which cannot receive payments");
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(address);
  } catch {
    return fail("format", "not bech32 addr1... nor base58 Byron");
  }
  return byron(bytes, testnet);
};

function shelley(address: string, testnet: boolean): FormatFailure | undefined {
  const decoded = decodeBech32(address, false);
  if (isFailure(decoded)) return decoded;
  if (decoded.variant !== "bech32") return fail("checksum", "bech32 checksum does not match");
  const bytes = wordsToBytes(decoded.words);
  if (!bytes || bytes.length === 0) return fail("format", "not a Cardano address");
  const type = bytes[0]! >> 4;
  const network = bytes[0]! & 0x0f;
  if ((decoded.prefix === "addr" && network !== 1) || (decoded.prefix === "addr_test" && network !== 0)) return fail("format", "network tag does not match the prefix");
  if (decoded.prefix === "addr_test" && !testnet) return fail("format", "a testnet address");
  if (type <= 3) return bytes.length === 57 ? undefined : fail("format", "base address is not 57 bytes");
  if (type === 6 || type === 7) return bytes.length === 29 ? undefined : fail("format", "enterprise address is not 29 bytes");
  if (type === 4 || type === 5) return pointerEnds(bytes, 29) ? undefined : fail("format", "malformed pointer address");
  return fail("format", "not a payment address type");
}

/** A pointer (slot, tx index, cert index) is three CIP-19 variable-length naturals that end the address. */
function pointerEnds(bytes: Uint8Array, from: number): boolean {
  let at = from;
  for (let n = 0; n < 3; n++) {
    while (at < bytes.length && bytes[at]! & 0x80) at++;
    if (at >= bytes.length) return false;
    at++;
  }
  return at === bytes.length;
}

function byron(bytes: Uint8Array, testnet: boolean): FormatFailure | undefined {
  const bad = fail("format", "not a Byron address");
  const array = cborHead(bytes, 0);
  const tag = array && cborHead(bytes, array.next);
  const inner = tag && cborHead(bytes, tag.next);
  if (!array || array.major !== 4 || array.value !== 2 || !tag || tag.major !== 6 || tag.value !== 24 || !inner || inner.major !== 2) return bad;
  const payload = bytes.subarray(inner.next, inner.next + inner.value);
  const crc = cborHead(bytes, inner.next + inner.value);
  if (payload.length !== inner.value || !crc || crc.major !== 0 || crc.next !== bytes.length) return bad;
  if (crc32(payload) !== crc.value) return fail("checksum", "Byron address CRC32 does not match");
  // The payload is [root (28 bytes), attributes, type]; attribute 2, the network magic, is only on test networks.
  const fields = cborHead(payload, 0);
  const root = fields && cborHead(payload, fields.next);
  const attributes = root && root.major === 2 && root.value === 28 ? cborHead(payload, root.next + 28) : undefined;
  if (!fields || fields.major !== 4 || fields.value !== 3 || !attributes || attributes.major !== 5) return bad;
  let at = attributes.next;
  for (let i = 0; i < attributes.value; i++) {
    const key = cborHead(payload, at);
    const value = key && cborHead(payload, key.next);
    if (!key || key.major !== 0 || !value || value.major !== 2) return bad;
    if (key.value === 2 && !testnet) return fail("format", "a testnet address");
    at = value.next + value.value;
  }
  return undefined;
}
