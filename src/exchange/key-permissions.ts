import type { Exchange } from "ccxt";
import { z } from "zod";
import type { KeyPermissionsInfo } from "./exchange-client.js";

type Reader = (exchange: Exchange) => Promise<KeyPermissionsInfo>;

const DAY_MS = 86_400_000;

const call = (exchange: Exchange, method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
  (exchange as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>)[method]!.call(exchange, params);

/** An answer we could not read: nothing is known of the key, least of all that it is safe. */
function unreadable(why: string): KeyPermissionsInfo {
  return { read: false, trade: false, withdraw: false, reported: false, ipAllowlist: [], unreadable: why };
}

/**
 * Reads an answer that must have the documented shape; any other shape
 * (fields missing or of another type, an empty payload, rows as objects) is
 * unreadable, never a key without permissions. The problem is named by its
 * path and the type expected, never by the value found.
 */
function readAs<T>(schema: z.ZodType<T>, answer: unknown, read: (parsed: T) => KeyPermissionsInfo): KeyPermissionsInfo {
  const parsed = schema.safeParse(answer);
  return parsed.success ? read(parsed.data) : unreadable(problemOf(parsed.error));
}

function problemOf(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join(".") : "the answer";
  return `${where}: ${issue.code === "invalid_type" ? `expected ${issue.expected}` : issue.code}`;
}

/** "a,b, c" → its entries, lower-cased. */
const words = (list: string): Set<string> => new Set(list.toLowerCase().split(/[\s,]+/).filter(Boolean));
const ipList = (list: string): string[] => list.split(",").map((ip) => ip.trim()).filter(Boolean);
const sameKey = (reported: string, exchange: Exchange): boolean => reported === exchange.apiKey;

// Each schema is the exchange's documented answer, cut to the fields we read.

/** https://developers.binance.com/docs/wallet/account/api-key-permission (GET /sapi/v1/account/apiRestrictions) */
const BINANCE = z.object({
  ipRestrict: z.boolean(),
  enableReading: z.boolean(),
  enableWithdrawals: z.boolean(),
  enableSpotAndMarginTrading: z.boolean(),
  enableFutures: z.boolean().optional(),
  enableVanillaOptions: z.boolean().optional(),
  enablePortfolioMarginTrading: z.boolean().optional(),
  // "Expiration time for spot and margin trading permission" (ms): in the 2024 OpenAPI file, not in the current example.
  tradingAuthorityExpirationTime: z.number().int().optional(),
});

/** https://bybit-exchange.github.io/docs/v5/user/apikey-info (GET /v5/user/query-api) */
const BYBIT = z.object({
  result: z.object({
    apiKey: z.string(),
    readOnly: z.union([z.literal(0), z.literal(1)]), // 0: read and write, 1: read only
    permissions: z.record(z.string(), z.array(z.string())),
    ips: z.array(z.string()), // ["*"]: bound to no IP
    expiredAt: z.string(), // keys without IP binding; "1970-01-01T00:00:00Z" for a bound key
  }),
});

/** https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration (GET /api/v5/account/config) */
const OKX = z.object({
  code: z.literal("0"),
  data: z.tuple([z.object({ perm: z.string(), ip: z.string() })]),
});

/** https://www.kucoin.com/docs-new/api-3470130 (GET /api/v1/user/api-key, "Get Apikey Info") */
const KUCOIN = z.object({
  code: z.literal("200000"),
  data: z.object({ apiKey: z.string(), permission: z.string(), ipWhitelist: z.string().optional() }),
});

/** https://docs.kraken.com/api-reference/account-data/get-api-key-info (POST /0/private/GetApiKeyInfo) */
const KRAKEN = z.object({
  error: z.array(z.string()).length(0),
  result: z.object({
    apiKey: z.string(),
    permissions: z.array(z.string()),
    ipAllowlist: z.array(z.string()),
    validUntil: z.string().regex(/^\d+$/), // Unix seconds; "0": no expiry
  }),
});

/** https://www.htx.com/en-us/opend/newApiPages/?id=7ec52d6c-7773-11ed-9966-0242ac110003 (GET /v2/user/uid) */
const HTX_UID = z.object({ code: z.literal(200), data: z.number().int().positive() });

/**
 * https://www.htx.com/en-us/opend/newApiPages/?id=7ec52c92-7773-11ed-9966-0242ac110003 (GET /v2/user/api-key):
 * without `accessKey` it lists every key of the UID.
 */
const HTX_KEYS = z.object({
  code: z.literal(200),
  data: z.array(z.object({ accessKey: z.string(), permission: z.string(), ipAddresses: z.string(), validDays: z.number().int() })),
});

/** https://docs.bitfinex.com/reference/key-permissions (POST /v2/auth/r/permissions): rows [SCOPE, READ, WRITE]. */
const BITFINEX = z.array(z.tuple([z.string(), z.union([z.literal(0), z.literal(1)]), z.union([z.literal(0), z.literal(1)])])).min(1);

/**
 * How each exchange tells an API key's permissions, IP binding and expiry:
 * there is no unified CCXT call, so each reader calls the exchange's own
 * endpoint through CCXT's implicit API (signed and rate limited like any
 * other call) and reads its documented answer. Coinbase Exchange has no such
 * endpoint (its keys' View/Trade/Transfer permissions are set in its UI only).
 */
const READERS: Readonly<Record<string, Reader>> = {
  binance: async (ex) =>
    readAs(BINANCE, await call(ex, "sapiGetAccountApiRestrictions"), (r) => ({
      reported: true,
      read: r.enableReading,
      trade: r.enableSpotAndMarginTrading || r.enableFutures === true || r.enableVanillaOptions === true || r.enablePortfolioMarginTrading === true,
      withdraw: r.enableWithdrawals,
      ipRestricted: r.ipRestrict,
      ipAllowlist: [], // Binance lists a key's IPs only to a master account, for its sub-accounts' keys
      // When the trading permission lapses (30 days after activation without an IP allow-list): what expires of a Binance key.
      expiresAt: r.tradingAuthorityExpirationTime ? new Date(r.tradingAuthorityExpirationTime) : undefined,
    })),
  bybit: async (ex) =>
    readAs(BYBIT, await call(ex, "privateGetV5UserQueryApi"), ({ result: r }) => {
      if (!sameKey(r.apiKey, ex)) return unreadable("result.apiKey: another key's answer");
      const p = r.permissions;
      const bound = !(r.ips.length === 0 || r.ips.includes("*"));
      const expiry = Date.parse(r.expiredAt);
      return {
        reported: true,
        read: true, // any key may call this endpoint
        trade: r.readOnly === 0 && ["Spot", "ContractTrade", "Options", "Derivatives"].some((k) => (p[k]?.length ?? 0) > 0),
        withdraw: (p.Wallet ?? []).includes("Withdraw"),
        ipRestricted: bound,
        ipAllowlist: bound ? r.ips : [],
        expiresAt: expiry > 0 ? new Date(expiry) : undefined,
      };
    }),
  okx: async (ex) =>
    readAs(OKX, await call(ex, "privateGetAccountConfig"), ({ data: [r] }) => {
      const perm = words(r.perm); // "read_only,withdraw,trade"
      return { reported: true, read: perm.has("read_only"), trade: perm.has("trade"), withdraw: perm.has("withdraw"), ipRestricted: r.ip !== "", ipAllowlist: ipList(r.ip) };
    }),
  kucoin: async (ex) =>
    readAs(KUCOIN, await call(ex, "privateGetUserApiKey"), ({ data: r }) => {
      if (!sameKey(r.apiKey, ex)) return unreadable("data.apiKey: another key's answer");
      // "General, Spot, Margin, Futures, InnerTransfer, Transfer, Earn": "Transfer" is what KuCoin's UI calls
      // "Withdrawal" ("allows you to withdraw assets"); older keys say "Trade". Either withdrawal word counts.
      const perm = words(r.permission);
      const ips = r.ipWhitelist === undefined ? undefined : ipList(r.ipWhitelist);
      return {
        reported: true,
        read: perm.has("general"),
        trade: ["spot", "margin", "futures", "trade"].some((w) => perm.has(w)),
        withdraw: perm.has("transfer") || perm.has("withdrawal"),
        ipRestricted: ips === undefined ? undefined : ips.length > 0,
        ipAllowlist: ips ?? [], // as KuCoin shows them: partly masked ("203.**.154")
      };
    }),
  kraken: async (ex) =>
    readAs(KRAKEN, await call(ex, "privatePostGetApiKeyInfo"), ({ result: r }) => {
      if (!sameKey(r.apiKey, ex)) return unreadable("result.apiKey: another key's answer");
      const granted = new Set(r.permissions);
      const validUntil = Number(r.validUntil);
      return {
        reported: true,
        read: granted.has("query-funds"),
        trade: granted.has("modify-trades"),
        withdraw: granted.has("withdraw-funds"),
        ipRestricted: r.ipAllowlist.length > 0,
        ipAllowlist: r.ipAllowlist,
        expiresAt: validUntil > 0 ? new Date(validUntil * 1000) : undefined,
      };
    }),
  huobi: async (ex) => {
    const uid = HTX_UID.safeParse(await call(ex, "v2PrivateGetUserUid"));
    if (!uid.success) return unreadable(`uid ${problemOf(uid.error)}`);
    return readAs(HTX_KEYS, await call(ex, "v2PrivateGetUserApiKey", { uid: uid.data.data, accessKey: ex.apiKey }), ({ data }) => {
      const mine = data.filter((k) => sameKey(k.accessKey, ex));
      if (mine.length !== 1) return unreadable(`data: ${mine.length} entries for this key`);
      const r = mine[0]!;
      const perm = words(r.permission); // "readOnly,trade,withdraw"
      const ips = ipList(r.ipAddresses);
      return {
        reported: true,
        read: perm.has("readonly"),
        trade: perm.has("trade"),
        withdraw: perm.has("withdraw"),
        ipRestricted: ips.length > 0,
        ipAllowlist: ips,
        // "validDays: API key expire in (days); -1: permanently valid".
        expiresAt: r.validDays >= 0 ? new Date(Date.now() + r.validDays * DAY_MS) : undefined,
      };
    });
  },
  bitfinex: async (ex) =>
    readAs(BITFINEX, await call(ex, "privatePostAuthRPermissions"), (rows) => {
      const scope = (name: string) => rows.find((row) => row[0] === name);
      const [account, orders, withdraw] = [scope("account"), scope("orders"), scope("withdraw")];
      if (!account || !orders || !withdraw) return unreadable("the answer: the account, orders and withdraw scopes are not all there");
      return {
        reported: true,
        read: account[1] === 1,
        trade: orders[2] === 1,
        // "ui_withdraw" is not explained in the docs: writing it may withdraw too.
        withdraw: withdraw[2] === 1 || scope("ui_withdraw")?.[2] === 1,
        ipAllowlist: [], // Bitfinex tells neither IP binding nor expiry through its API
      };
    }),
};

/** The permission reader of an exchange, if it has a permission endpoint. */
export function keyPermissionsReader(exchangeId: string): Reader | undefined {
  return READERS[exchangeId];
}
