import type { Exchange, errors } from "ccxt";

// CCXT, loaded by the piece. The package's one entry point ("ccxt") loads all
// of its ~110 exchanges and their WebSocket twins: 40 MB of heap in every
// replica, which every full GC walks (the eight exchange classes we use take
// 12 MB; the service's heap after start-up is 25 MB instead of 52 MB).
// The package exports only that entry, so the pieces are imported by their
// file URLs next to it: js/src/base/errors.js and js/src/<exchange>.js of the
// version pinned in package.json.
const sources = new URL("./src/", import.meta.resolve("ccxt"));

/** CCXT's error classes (`ccxt.NetworkError` …): the very classes its exchanges throw. */
export const ccxtErrors: typeof errors = await import(new URL("base/errors.js", sources).href);

export type ExchangeClass = new (config?: object) => Exchange;

const classes = new Map<string, Promise<ExchangeClass>>();

/** An exchange's CCXT class (`ccxt.binance` …), loaded on first use. */
export function exchangeClass(ccxtId: string): Promise<ExchangeClass> {
  let loaded = classes.get(ccxtId);
  if (!loaded) {
    loaded = /^[a-z0-9]+$/.test(ccxtId)
      ? import(new URL(`${ccxtId}.js`, sources).href).then(
          (module: { default: ExchangeClass }) => module.default,
          (cause: unknown) => Promise.reject(new Error(`ccxt has no exchange "${ccxtId}"`, { cause })),
        )
      : Promise.reject(new Error(`ccxt has no exchange "${ccxtId}"`));
    classes.set(ccxtId, loaded);
  }
  return loaded;
}
