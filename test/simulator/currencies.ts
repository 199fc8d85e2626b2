import { makeAddress, makeTag } from './addresses.js';
import type { SimCurrency } from './types.js';

/**
 * The currency set an account gets when none is given: a coin on its own chain (BTC, ETH), a token
 * on several chains with one of them not yet provisioned (USDT on BEP20), a tag coin (XRP) and a
 * coin with no address at all (LTC), so fetch-vs-create and tag handling are all exercised.
 */
export function defaultCurrencies(seed: string): SimCurrency[] {
  const addr = (chain: string, code: string): string => makeAddress(chain, `${seed}|${code}`);
  const xrpShared = makeAddress('XRP', 'exchange-hot-wallet');
  return [
    { code: 'BTC', name: 'Bitcoin', networks: [{ network: 'BTC', address: addr('BTC', 'BTC') }] },
    { code: 'ETH', name: 'Ethereum', networks: [{ network: 'ETH', address: addr('ERC20', 'ETH') }] },
    {
      code: 'USDT',
      name: 'Tether',
      networks: [
        { network: 'TRC20', address: addr('TRC20', 'USDT') },
        { network: 'ERC20', address: addr('ERC20', 'USDT') },
        { network: 'BEP20' },
      ],
    },
    {
      code: 'XRP',
      name: 'Ripple',
      networks: [{ network: 'XRP', tagRequired: true, address: xrpShared, tag: makeTag(`${seed}|XRP`) }],
    },
    { code: 'LTC', name: 'Litecoin', networks: [{ network: 'LTC' }] },
  ];
}

const TOKEN_CHAINS = ['ERC20', 'BEP20', 'TRC20'] as const;

/**
 * `n` synthetic tokens (`TKA000`, `TKA001`, …) for sync tests with hundreds of currencies: each on
 * one to three EVM/Tron chains; every 4th has no address yet and every 9th has deposits disabled
 * on its first chain, so a sync meets all the cases at scale.
 */
export function generateCurrencies(n: number, seed = 'generated'): SimCurrency[] {
  const out: SimCurrency[] = [];
  for (let i = 0; i < n; i++) {
    const code = `TK${String.fromCharCode(65 + Math.floor(i / 1000) % 26)}${String(i % 1000).padStart(3, '0')}`;
    const chains = TOKEN_CHAINS.slice(0, (i % 3) + 1);
    out.push({
      code,
      name: `Token ${i}`,
      networks: chains.map((network, j) => ({
        network,
        ...(i % 9 === 0 && j === 0 ? { depositEnabled: false } : {}),
        ...(i % 4 === 3 ? {} : { address: makeAddress(network, `${seed}|${code}`) }),
      })),
    });
  }
  return out;
}
