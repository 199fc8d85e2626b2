import type { Exchange } from "ccxt";
import type { KeyPermissionsInfo } from "./exchange-client.js";

type Json = Record<string, unknown>;
type Reader = (exchange: Exchange) => Promise<KeyPermissionsInfo>;

const call = (exchange: Exchange, method: string): Promise<unknown> =>
  (exchange as unknown as Record<string, () => Promise<unknown>>)[method]!.call(exchange);

const reported = (read: boolean, trade: boolean, withdraw: boolean): KeyPermissionsInfo => ({ read, trade, withdraw, reported: true });

/** "a,b,c" → the set of its entries, lower-cased. */
const list = (value: unknown): Set<string> => new Set(String(value ?? "").toLowerCase().split(/[\s,]+/).filter(Boolean));

/**
 * How each exchange tells an API key's permissions: there is no unified CCXT
 * call, so each reader calls the exchange's own endpoint through CCXT's
 * implicit API (signed and rate limited like any other call). Coinbase
 * Exchange has no such endpoint.
 */
const READERS: Readonly<Record<string, Reader>> = {
  binance: async (ex) => {
    const r = (await call(ex, "sapiGetAccountApiRestrictions")) as Json;
    return reported(r.enableReading === true, r.enableSpotAndMarginTrading === true, r.enableWithdrawals === true);
  },
  bybit: async (ex) => {
    const r = ((await call(ex, "privateGetV5UserQueryApi")) as Json).result as Json;
    const p = (r.permissions ?? {}) as Record<string, unknown[]>;
    const trade = ["Spot", "ContractTrade", "Options", "Derivatives"].some((k) => (p[k]?.length ?? 0) > 0);
    return reported(true, trade, (p.Wallet ?? []).includes("Withdraw"));
  },
  bitfinex: async (ex) => {
    const rows = (await call(ex, "privatePostAuthRPermissions")) as [string, number, number][];
    const scope = (name: string) => rows.find((row) => row[0] === name) ?? [name, 0, 0];
    return reported(scope("account")[1] === 1, scope("orders")[2] === 1, scope("withdraw")[2] === 1);
  },
  kraken: async (ex) => {
    const granted = list((((await call(ex, "privatePostGetApiKeyInfo")) as Json).result as Json).permissions);
    return reported(granted.has("query-funds"), granted.has("modify-trades"), granted.has("withdraw-funds"));
  },
  okx: async (ex) => {
    const perm = list((((await call(ex, "privateGetAccountConfig")) as Json).data as Json[])[0]?.perm);
    return reported(perm.has("read_only"), perm.has("trade"), perm.has("withdraw"));
  },
  kucoin: async (ex) => {
    const perm = list((((await call(ex, "privateGetUserApiKey")) as Json).data as Json).permission);
    return reported(perm.has("general"), perm.has("spot") || perm.has("margin") || perm.has("futures"), perm.has("withdrawal"));
  },
  huobi: async (ex) => {
    const perm = list((((await call(ex, "v2PrivateGetUserApiKey")) as Json).data as Json[])[0]?.permission);
    return reported(perm.has("readonly"), perm.has("trade"), perm.has("withdraw"));
  },
};

/** The permission reader of an exchange, if it has a permission endpoint. */
export function keyPermissionsReader(exchangeId: string): Reader | undefined {
  return READERS[exchangeId];
}
