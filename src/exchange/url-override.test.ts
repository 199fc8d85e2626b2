import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { applyUrlOverride } from './url-override.js';

describe('applyUrlOverride', () => {
  it('rewrites every nested absolute URL and keeps the path', () => {
    const exchange = new ccxt.binance();
    applyUrlOverride(exchange, 'http://127.0.0.1:18000/');
    const api = exchange.urls.api as Record<string, string>;
    expect(api['sapi']).toBe('http://127.0.0.1:18000/sapi/v1');
    expect(api['fapiPublic']).toBe('http://127.0.0.1:18000/fapi/v1');
    expect(Object.values(api).every((url) => url.startsWith('http://127.0.0.1:18000/'))).toBe(true);
  });

  it('replaces templated hostnames but leaves urls.hostnames for HTX signing', () => {
    const exchange = new ccxt.htx();
    applyUrlOverride(exchange, 'http://127.0.0.1:18004');
    const api = exchange.urls.api as Record<string, string>;
    expect(api['v2Private']).toBe('http://127.0.0.1:18004');
    expect(exchange.urls['hostnames']).toEqual({ contract: 'api.hbdm.vn', spot: 'api.huobi.pro' });
  });

  it('rewrites a sandbox URL after setSandboxMode', () => {
    const exchange = new ccxt.bybit();
    exchange.setSandboxMode(true);
    applyUrlOverride(exchange, 'http://localhost:9');
    const api = exchange.urls.api as Record<string, string>;
    expect(api['private']).toBe('http://localhost:9');
  });

  it('leaves relative values alone', () => {
    const exchange = new ccxt.okx();
    exchange.urls.api = { rest: 'https://{hostname}', nested: { path: '/v5' } };
    applyUrlOverride(exchange, 'http://h:1');
    expect(exchange.urls.api).toEqual({ rest: 'http://h:1', nested: { path: '/v5' } });
  });
});
