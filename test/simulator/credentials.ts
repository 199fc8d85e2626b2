import { createHmac, randomBytes } from 'node:crypto';
import type { ExchangeId } from './types.js';

/** Credentials in the shape an exchange issues them (and CCXT expects them). */
export interface SimCredentials {
  apiKey: string;
  secret: string;
  passphrase?: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random bytes, or a deterministic stream when seeded (stable demo keys across `npm run sim`). */
type Bytes = (n: number) => Buffer;

function seededBytes(seed: string): Bytes {
  let counter = 0;
  return (n) => {
    const chunks: Buffer[] = [];
    let size = 0;
    while (size < n) {
      const chunk = createHmac('sha512', seed).update(String(counter++)).digest();
      chunks.push(chunk);
      size += chunk.length;
    }
    return Buffer.concat(chunks).subarray(0, n);
  };
}

function makeGen(bytes: Bytes) {
  const alnum = (length: number): string => [...bytes(length)].map((b) => ALNUM[b % ALNUM.length] ?? 'A').join('');
  const hex = (n: number): string => bytes(n).toString('hex');
  const uuid = (): string => {
    const h = hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const base64 = (n: number): string => bytes(n).toString('base64');
  return { alnum, hex, uuid, base64, passphrase: (): string => `Pp-${alnum(12)}` };
}

/**
 * Random (or, with `seed`, reproducible) valid credentials for one exchange: Kraken and Coinbase
 * secrets are base64 (CCXT decodes them before signing), OKX/KuCoin/Coinbase have a passphrase.
 */
export function makeCredentials(exchange: ExchangeId, seed?: string): SimCredentials {
  const { alnum, hex, uuid, base64, passphrase } = makeGen(seed === undefined ? randomBytes : seededBytes(`${exchange}|${seed}`));
  switch (exchange) {
    case 'binance':
      return { apiKey: alnum(64), secret: alnum(64) };
    case 'coinbase':
      return { apiKey: hex(16), secret: base64(64), passphrase: passphrase() };
    case 'kraken':
      return { apiKey: base64(42), secret: base64(64) };
    case 'bitfinex':
      return { apiKey: alnum(43), secret: alnum(43) };
    case 'huobi':
      return { apiKey: `${hex(4)}-${hex(4)}-${hex(4)}-${hex(2)}`, secret: `${hex(4)}-${hex(4)}-${hex(4)}-${hex(2)}` };
    case 'kucoin':
      return { apiKey: hex(12), secret: uuid(), passphrase: passphrase() };
    case 'bybit':
      return { apiKey: alnum(18), secret: alnum(36) };
    case 'okx':
      return { apiKey: uuid(), secret: hex(16).toUpperCase(), passphrase: passphrase() };
  }
}
