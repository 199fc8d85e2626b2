import { describe, expect, it } from 'vitest';
import { checkDepositAddress } from '../../src/exchange/address-formats.js';
import { breakChecksum, encodeAddress, makeAddress } from './addresses.js';
import { KNOWN_CHAINS } from './networks.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.padEnd(64, '0'), 'hex'));

describe('simulator addresses', () => {
  it('encode published vectors as their specs do', () => {
    // BIP-173: HASH160 751e76e8... is bc1qw508d6...
    expect(encodeAddress('BTC', hex('751e76e8199196d454941c45d1b3a323f1433bd6'))).toBe('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4');
    // EIP-55's own examples, from their lower-case form.
    expect(encodeAddress('ERC20', hex('5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'))).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    expect(encodeAddress('BEP20', hex('fb6916095ca1df60bb79ce92ce3ea74c37c5d359'))).toBe('0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359');
    // TRON docs: 418840E6C5...AECED808 is TNPeeaaF...8G1NYqeL.
    expect(encodeAddress('TRC20', hex('8840e6c55b9ada326d211d818c34a994aeced808'))).toBe('TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL');
    // XRPL: account id 0 is ACCOUNT_ZERO.
    expect(encodeAddress('XRP', hex(''))).toBe('rrrrrrrrrrrrrrrrrrrrrhoLvTp');
    // Solana: 32 zero bytes are the system program.
    expect(encodeAddress('SOL', hex(''))).toBe('11111111111111111111111111111111');
    // TON cookbook: 0:ca6e321c... is EQDKbjIc...
    expect(encodeAddress('TON', hex('ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e'))).toBe('EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF');
    // CIP-19: enterprise (type 6) address of payment key hash 9493315c...
    expect(encodeAddress('ADA', hex('9493315cd92eb5d8c4304e67b7e16ae36d61d34502694657811a2c8e'))).toBe('addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8');
    // cashaddr spec: the legacy twin of bitcoincash:qpm2qsz... (hash 76a04053...).
    expect(encodeAddress('BCH', hex('76a04053bda0a88bda5177b86a15c3b29f559873'))).toBe('1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu');
  });

  it('make addresses the service accepts on every chain the simulator knows, and broken twins it refuses (but on Solana)', () => {
    for (const chain of [...KNOWN_CHAINS, 'DOGE', 'BCH', 'TON', 'ADA', 'XLM', 'POLYGON']) {
      for (const seed of ['a', 'b', 'c', 'd']) {
        const address = makeAddress(chain, seed);
        expect(checkDepositAddress(chain, address, undefined, { testnet: false }), `${chain} ${address}`).toEqual({ result: 'valid' });
        // Solana addresses carry no checksum: any 32 bytes are one.
        if (chain !== 'SOL') expect(checkDepositAddress(chain, breakChecksum(address), undefined, { testnet: false }), `${chain} ${breakChecksum(address)}`).toMatchObject({ result: 'invalid' });
      }
    }
  });
});
