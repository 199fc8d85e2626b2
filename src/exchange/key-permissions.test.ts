import type { Exchange } from "ccxt";
import { describe, expect, it } from "vitest";
import { keyPermissionsReader } from "./key-permissions.js";

const KEY = "the-callers-key";

/** A CCXT instance whose implicit API methods answer as given (a function: per params). */
function exchangeAnswering(answers: Record<string, unknown>): Exchange {
  const ex: Record<string, unknown> = { apiKey: KEY };
  for (const [method, answer] of Object.entries(answers)) {
    ex[method] = async (params: Record<string, unknown>) => (typeof answer === "function" ? (answer as (p: unknown) => unknown)(params) : answer);
  }
  return ex as unknown as Exchange;
}

const read = (exchangeId: string, answers: Record<string, unknown>) => keyPermissionsReader(exchangeId)!(exchangeAnswering(answers));

const IN_A_WEEK = Date.now() + 7 * 86_400_000;

/** Each exchange's documented answer for a key that can read, trade and withdraw, bound to 203.0.113.7. */
const DOCUMENTED: Record<string, Record<string, unknown>> = {
  binance: {
    sapiGetAccountApiRestrictions: {
      ipRestrict: true,
      createTime: 1698645219000,
      enableReading: true,
      enableWithdrawals: true,
      enableInternalTransfer: false,
      enableMargin: false,
      enableFutures: false,
      permitsUniversalTransfer: false,
      enableVanillaOptions: false,
      enableFixApiTrade: false,
      enableFixReadOnly: true,
      enableSpotAndMarginTrading: true,
      enablePortfolioMarginTrading: false,
      tradingAuthorityExpirationTime: IN_A_WEEK,
    },
  },
  bybit: {
    privateGetV5UserQueryApi: {
      retCode: 0,
      retMsg: "",
      result: {
        id: "2208369",
        apiKey: KEY,
        readOnly: 0,
        permissions: { ContractTrade: ["Order", "Position"], Spot: ["SpotTrade"], Wallet: ["AccountTransfer", "Withdraw"], Options: [], Derivatives: [] },
        ips: ["203.0.113.7"],
        type: 1,
        deadlineDay: 7,
        expiredAt: new Date(IN_A_WEEK).toISOString(),
        createdAt: "2025-10-13T03:20:45Z",
      },
    },
  },
  okx: { privateGetAccountConfig: { code: "0", msg: "", data: [{ uid: "44705892343619584", perm: "read_only,withdraw,trade", ip: "203.0.113.7" }] } },
  kucoin: {
    privateGetUserApiKey: {
      code: "200000",
      data: { remark: "account1", apiKey: KEY, apiVersion: 3, permission: "General,Futures,Spot,Earn,InnerTransfer,Transfer,Margin", ipWhitelist: "203.**.7", createdAt: 1728443843000, uid: 165111215, isMaster: true },
    },
  },
  kraken: {
    privatePostGetApiKeyInfo: {
      error: [],
      result: {
        apiKeyName: "k",
        apiKey: KEY,
        nonce: "1772627060997",
        nonceWindow: 0,
        permissions: ["query-funds", "withdraw-funds", "query-open-trades", "modify-trades"],
        validUntil: String(Math.floor(IN_A_WEEK / 1000)),
        ipAllowlist: ["203.0.113.7"],
      },
    },
  },
  huobi: {
    v2PrivateGetUserUid: { code: 200, data: 63628520 },
    v2PrivateGetUserApiKey: {
      code: 200,
      message: "success",
      data: [{ accessKey: KEY, status: "normal", note: "n", permission: "readOnly,trade,withdraw", ipAddresses: "203.0.113.7", validDays: 7, createTime: 1, updateTime: 1 }],
    },
  },
  bitfinex: {
    privatePostAuthRPermissions: [["account", 1, 0], ["history", 1, 0], ["orders", 1, 1], ["positions", 1, 0], ["funding", 1, 0], ["settings", 1, 0], ["wallets", 1, 0], ["withdraw", 0, 1], ["ui_withdraw", 0, 0], ["bfxpay", 0, 0]],
  },
};

/** The documented answer with one field of another type. */
const WRONG_TYPE: Record<string, unknown> = {
  binance: { ...(DOCUMENTED.binance!.sapiGetAccountApiRestrictions as object), enableWithdrawals: "false" },
  bybit: { retCode: 0, result: { ...(DOCUMENTED.bybit!.privateGetV5UserQueryApi as { result: object }).result, readOnly: "0" } },
  okx: { code: "0", data: [{ perm: 1, ip: "" }] },
  kucoin: { code: "200000", data: { apiKey: KEY, permission: ["General"], ipWhitelist: "" } },
  kraken: { error: [], result: { apiKey: KEY, permissions: "query-funds", ipAllowlist: [], validUntil: "0" } },
  huobi: { code: 200, data: [{ accessKey: KEY, permission: "readOnly", ipAddresses: "", validDays: "-1" }] },
  bitfinex: [["account", "1", "0"], ["orders", "1", "1"], ["withdraw", "0", "0"]],
};

/** Replaces the answer of an exchange's one permission call (HTX: its key list). */
function withAnswer(exchangeId: string, answer: unknown): Record<string, unknown> {
  const answers = { ...DOCUMENTED[exchangeId]! };
  const method = exchangeId === "huobi" ? "v2PrivateGetUserApiKey" : Object.keys(answers)[0]!;
  answers[method] = answer;
  return answers;
}

describe.each(Object.keys(DOCUMENTED))("%s key permissions", (exchangeId) => {
  it("reads the documented answer: a key that can withdraw, its IP binding and, where told, its expiry", async () => {
    const p = await read(exchangeId, DOCUMENTED[exchangeId]!);
    expect(p).toMatchObject({ reported: true, read: true, trade: true, withdraw: true });
    expect(p.unreadable).toBeUndefined();
    if (exchangeId !== "bitfinex") expect(p.ipRestricted).toBe(true);
    if (!["bitfinex", "binance"].includes(exchangeId)) expect(p.ipAllowlist).toEqual([exchangeId === "kucoin" ? "203.**.7" : "203.0.113.7"]);
    if (["binance", "bybit", "kraken", "huobi"].includes(exchangeId)) {
      expect(Math.abs(p.expiresAt!.getTime() - IN_A_WEEK)).toBeLessThan(86_400_000);
    } else {
      expect(p.expiresAt).toBeUndefined();
    }
  });

  // Shapes nobody promised: each is unknown, never "a key without withdraw".
  const odd: [string, unknown][] = [
    ["an empty object", {}],
    ["an empty list", []],
    ["null", null],
    ["an HTML page", "<html><body>502 Bad Gateway</body></html>"],
    ["a 404 body", { code: 404, msg: "Not Found" }],
    ["data as an empty list", { code: exchangeId === "okx" ? "0" : exchangeId === "huobi" ? 200 : "200000", data: [] }],
    ["result as an empty object", { retCode: 0, error: [], result: {} }],
    ["rows as objects", [{ scope: "withdraw", read: 0, write: 1 }]],
    ["a field of another type", WRONG_TYPE[exchangeId]],
  ];
  it.each(odd)("reads %s as unknown permissions, never as safe", async (_what, answer) => {
    const p = await read(exchangeId, withAnswer(exchangeId, answer));
    expect(p).toMatchObject({ reported: false, withdraw: false, ipAllowlist: [] });
    expect(p.unreadable).toMatch(/\S/);
  });
});

describe("answers about another key", () => {
  it.each(["bybit", "kucoin", "kraken"])("%s: an answer naming another key is unknown", async (exchangeId) => {
    const answer = JSON.parse(JSON.stringify(DOCUMENTED[exchangeId]![Object.keys(DOCUMENTED[exchangeId]!)[0]!]).replace(KEY, "someone-else"));
    expect(await read(exchangeId, withAnswer(exchangeId, answer))).toMatchObject({ reported: false, unreadable: expect.stringContaining("another key") });
  });

  it("HTX: asks for the caller's key with its UID, and reads that key out of a list of every key of the UID", async () => {
    const asked: unknown[] = [];
    const readOnlyFirst = {
      code: 200,
      data: [
        { accessKey: "a-read-only-key", permission: "readOnly", ipAddresses: "", validDays: -1 },
        { accessKey: KEY, permission: "readOnly,trade,withdraw", ipAddresses: "", validDays: -1 },
      ],
    };
    const p = await read("huobi", { v2PrivateGetUserUid: { code: 200, data: 42 }, v2PrivateGetUserApiKey: (params: unknown) => (asked.push(params), readOnlyFirst) });
    expect(asked).toEqual([{ uid: 42, accessKey: KEY }]);
    expect(p).toMatchObject({ reported: true, withdraw: true, ipRestricted: false });
    expect(p.expiresAt).toBeUndefined();
    const withdrawFirst = { code: 200, data: [...readOnlyFirst.data].reverse().map((k) => (k.accessKey === KEY ? { ...k, permission: "readOnly" } : { ...k, permission: "readOnly,trade,withdraw" })) };
    expect(await read("huobi", { v2PrivateGetUserUid: { code: 200, data: 42 }, v2PrivateGetUserApiKey: withdrawFirst })).toMatchObject({ reported: true, withdraw: false });
  });

  it("HTX: a list without the caller's key, or an error body (1002 forbidden), is unknown", async () => {
    for (const answer of [{ code: 200, data: [{ accessKey: "another", permission: "readOnly", ipAddresses: "", validDays: -1 }] }, { code: 1002, message: "forbidden" }]) {
      expect(await read("huobi", withAnswer("huobi", answer))).toMatchObject({ reported: false });
    }
    expect(await read("huobi", { v2PrivateGetUserUid: { code: 1002 }, v2PrivateGetUserApiKey: DOCUMENTED.huobi!.v2PrivateGetUserApiKey })).toMatchObject({ reported: false, unreadable: expect.stringContaining("uid") });
  });
});

describe("what each flag means, from the exchanges' docs", () => {
  it("KuCoin: Transfer is the withdrawal permission; a key with General only cannot trade or withdraw", async () => {
    const kucoin = (permission: string) => read("kucoin", withAnswer("kucoin", { code: "200000", data: { apiKey: KEY, permission, ipWhitelist: "" } }));
    expect(await kucoin("General,Spot,Transfer")).toMatchObject({ reported: true, read: true, trade: true, withdraw: true, ipRestricted: false });
    expect(await kucoin("General,InnerTransfer")).toMatchObject({ reported: true, read: true, trade: false, withdraw: false });
    expect((await read("kucoin", withAnswer("kucoin", { code: "200000", data: { apiKey: KEY, permission: "General" } }))).ipRestricted).toBeUndefined();
  });

  it("Bybit: a read-only key (readOnly 1) does not trade whatever its lists say, and ips [\"*\"] is no binding", async () => {
    const answer = DOCUMENTED.bybit!.privateGetV5UserQueryApi as { result: Record<string, unknown> };
    const p = await read("bybit", withAnswer("bybit", { ...answer, result: { ...answer.result, readOnly: 1, ips: ["*"], expiredAt: "1970-01-01T00:00:00Z" } }));
    expect(p).toMatchObject({ reported: true, trade: false, withdraw: true, ipRestricted: false, ipAllowlist: [] });
    expect(p.expiresAt).toBeUndefined();
  });

  it("Bitfinex: writing ui_withdraw counts as withdrawing; a list without the withdraw scope is unknown", async () => {
    const rows = (DOCUMENTED.bitfinex!.privatePostAuthRPermissions as [string, number, number][]).map(([s, r, w]) => [s, r, s === "withdraw" ? 0 : s === "ui_withdraw" ? 1 : w]);
    expect(await read("bitfinex", withAnswer("bitfinex", rows))).toMatchObject({ reported: true, withdraw: true });
    expect(await read("bitfinex", withAnswer("bitfinex", rows.filter(([s]) => s !== "withdraw")))).toMatchObject({ reported: false });
  });

  it("OKX: an answer with more than the one documented entry is unknown", async () => {
    const entry = { perm: "read_only", ip: "" };
    expect(await read("okx", withAnswer("okx", { code: "0", data: [entry] }))).toMatchObject({ reported: true, withdraw: false, ipRestricted: false });
    expect(await read("okx", withAnswer("okx", { code: "0", data: [entry, { perm: "read_only,withdraw", ip: "" }] }))).toMatchObject({ reported: false });
  });

  it("names the problem by its path and the type expected, never by the value found", async () => {
    const p = await read("okx", withAnswer("okx", { code: "0", data: [{ perm: 12345678, ip: "" }] }));
    expect(p.unreadable).toBe("data.0.perm: expected string");
  });

  it("Coinbase Exchange has no permission endpoint", () => {
    expect(keyPermissionsReader("coinbase")).toBeUndefined();
  });
});
