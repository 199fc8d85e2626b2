import type { Exchange } from 'ccxt';

/** Scheme and authority of an absolute URL; CCXT templates such as `https://api.{hostname}` count too. */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * Points a CCXT instance at another origin (simulator, proxy, regional endpoint) while keeping
 * every path. CCXT has no single base URL: `urls.api` is a tree of absolute URLs per API family,
 * so each leaf is rewritten. Call it after `setSandboxMode`, which swaps `urls.api` wholesale.
 * `urls.hostnames` stays untouched because HTX signs the configured hostname, not the one it dials.
 */
export function applyUrlOverride(exchange: Exchange, base: string): void {
  const origin = base.replace(/\/+$/, '');
  exchange.urls.api = rewrite(exchange.urls.api, origin) as typeof exchange.urls.api;
}

function rewrite(value: unknown, origin: string): unknown {
  if (typeof value === 'string') {
    return ORIGIN.test(value) ? value.replace(ORIGIN, origin) : value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => rewrite(item, origin));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = rewrite(item, origin);
    }
    return out;
  }
  return value;
}
