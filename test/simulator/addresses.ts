import { createHash } from 'node:crypto';
import { canonicalChain } from './networks.js';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function digest(seed: string): Buffer {
  return createHash('sha512').update(seed).digest();
}

function pick(alphabet: string, bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out += alphabet[(bytes[i % bytes.length] ?? 0) % alphabet.length] ?? '';
  }
  return out;
}

/**
 * A deterministic, plausible-looking address for a chain: the same seed gives the same address,
 * so tests can predict what an exchange answers, and formats match what users would see
 * (`0x…` on EVM chains, `T…` on Tron, `bc1q…` on bitcoin, `r…` on XRP).
 */
export function makeAddress(chain: string, seed: string): string {
  const bytes = digest(`${canonicalChain(chain)}|${seed}`);
  switch (canonicalChain(chain)) {
    case 'BTC':
      return `bc1q${pick(BECH32, bytes, 38)}`;
    case 'TRC20':
      return `T${pick(BASE58, bytes, 33)}`;
    case 'XRP':
      return `r${pick(BASE58, bytes, 33)}`;
    case 'SOL':
      return pick(BASE58, bytes, 44);
    case 'LTC':
      return `ltc1q${pick(BECH32, bytes, 38)}`;
    default:
      return `0x${bytes.subarray(0, 20).toString('hex')}`;
  }
}

/** A numeric memo/destination tag, as XRP-style chains use to tell accounts apart. */
export function makeTag(seed: string): string {
  return String(digest(`tag|${seed}`).readUInt32BE(0) % 900_000_000 + 100_000_000);
}
