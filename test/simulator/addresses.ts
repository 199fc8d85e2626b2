import { createHash } from 'node:crypto';
import { base32, base58, base58xrp, base64url, bech32, createBase58check } from '@scure/base';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { canonicalChain } from './networks.js';

// Encoders written from the chains' specs, separately from the service's decoders
// (src/exchange/address-chains.ts), so a test proves the two agree rather than share a bug.

const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();
const base58check = createBase58check(sha256);

function digest(seed: string): Buffer {
  return createHash('sha512').update(seed).digest();
}

/** EIP-55: hex letters upper-cased where keccak256(lower-case hex) has a nibble of 8 or more. */
function eip55(body: Uint8Array): string {
  const hex = Buffer.from(body).toString('hex');
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(hex))).toString('hex');
  return `0x${[...hex].map((c, i) => (parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join('')}`;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
  }
  return crc;
}

const segwitV0 = (hrp: string, program: Uint8Array): string => bech32.encode(hrp, [0, ...bech32.toWords(program)]);
const versioned = (version: number, hash: Uint8Array): string => base58check.encode(Uint8Array.from([version, ...hash]));

/**
 * A mainnet address of `chain` made of `bytes` (at least 32), as the chain encodes one: segwit v0
 * P2WPKH on BTC and LTC, EIP-55 on EVM chains, TRON's 0x41 Base58Check, XRP classic, a Solana key,
 * Base58Check P2PKH on DOGE and BCH (its legacy form), TON bounceable user-friendly, a Cardano
 * enterprise address, a Stellar account id. Other chains get EIP-55 hex (a placeholder).
 */
export function encodeAddress(chain: string, bytes: Uint8Array): string {
  const hash20 = bytes.subarray(0, 20);
  switch (canonicalChain(chain)) {
    case 'BTC':
      return segwitV0('bc', hash20);
    case 'LTC':
      return segwitV0('ltc', hash20);
    case 'DOGE':
      return versioned(0x1e, hash20);
    case 'BCH':
      return versioned(0x00, hash20);
    case 'TRC20':
      return versioned(0x41, hash20);
    case 'XRP': {
      const payload = Uint8Array.from([0x00, ...hash20]);
      return base58xrp.encode(Uint8Array.from([...payload, ...sha256(sha256(payload)).subarray(0, 4)]));
    }
    case 'SOL':
      return base58.encode(bytes.subarray(0, 32));
    case 'TON': {
      const body = Uint8Array.from([0x11, 0x00, ...bytes.subarray(0, 32)]);
      const sum = crc16(body);
      return base64url.encode(Uint8Array.from([...body, sum >> 8, sum & 0xff]));
    }
    case 'ADA':
      return bech32.encode('addr', bech32.toWords(Uint8Array.from([0x61, ...bytes.subarray(0, 28)])), false);
    case 'XLM': {
      const body = Uint8Array.from([6 << 3, ...bytes.subarray(0, 32)]);
      const sum = crc16(body);
      return base32.encode(Uint8Array.from([...body, sum & 0xff, sum >> 8]));
    }
    default:
      return eip55(hash20);
  }
}

/**
 * A deterministic, valid address for a chain: the same seed gives the same address, so tests can
 * predict what an exchange answers, and the service's checks accept it as a real one.
 */
export function makeAddress(chain: string, seed: string): string {
  return encodeAddress(chain, digest(`${canonicalChain(chain)}|${seed}`));
}

/**
 * The address with one character changed to another of its alphabet, past its prefix: what a
 * broken exchange (or a typo) answers. Its checksum no longer matches; its format still looks right.
 */
export function breakChecksum(address: string): string {
  const i = address.length - 8;
  const old = address[i]!;
  const sameKind = (c: string) => /[0-9]/.test(c) === /[0-9]/.test(old) && (c === c.toLowerCase()) === (old === old.toLowerCase());
  // A character the address already uses elsewhere is in its alphabet.
  const replacement = [...new Set(address.slice(2))].find((c) => c !== old && sameKind(c) && /[0-9A-Za-z]/.test(c))!;
  return address.slice(0, i) + replacement + address.slice(i + 1);
}

/** A numeric memo/destination tag, as XRP-style chains use to tell accounts apart. */
export function makeTag(seed: string): string {
  return String(digest(`tag|${seed}`).readUInt32BE(0) % 900_000_000 + 100_000_000);
}
