import type { EntityManager } from "@mikro-orm/core";
import { describe, expect, it } from "vitest";
import type { AccountExchange } from "../accounts/account-exchange.js";
import type { AdvisoryLocks } from "../db/advisory-locks.js";
import { NotFoundError } from "../errors.js";
import type { AddressChecker } from "./address-check.js";
import type { DepositAddresses } from "./deposit-address.repository.js";
import { DepositAddressService } from "./deposit-address.service.js";
import type { AddressView } from "./deposit-address.view.js";

const USER = "00000000-0000-4000-8000-000000000001";
const ACCOUNT = "00000000-0000-4000-8000-0000000000a1";

function stored(id: string, over: Partial<AddressView> = {}): AddressView {
  const at = new Date("2026-12-01T00:00:00Z");
  return {
    id, exchangeAccountId: ACCOUNT, userId: USER, exchangeId: "binance", currency: "BTC", address: `bc1q${id}`, tag: null, network: "BTC",
    tagRequired: false, addressValidation: "valid", addressType: "deposit", label: null, description: null, isActive: true, lastVerifiedAt: at,
    userMetadata: {}, exchangeMetadata: {}, createdAt: at, updatedAt: at, deletedAt: null, ...over,
  } as AddressView;
}

/** Addresses in memory: what the service's domain logic needs of its repository, nothing more. */
function fakeAddresses(rows: AddressView[]): DepositAddresses {
  const unused = () => Promise.reject(new Error("not expected in this test"));
  return {
    view: async (userId, id) => rows.find((r) => r.id === id && r.userId === userId),
    list: async (filters, page) => rows.filter((r) => r.userId === filters.userId && (filters.showDeleted || !r.deletedAt)).slice(0, page.pageSize + 1),
    routeView: async (accountId, currency, network) => rows.find((r) => r.exchangeAccountId === accountId && r.currency === currency && r.network === network && !r.deletedAt),
    byRequestId: async () => undefined,
    markVerified: unused,
    insertFetched: unused,
    replaceFetched: unused,
  };
}

const exchange = {
  exchangeId: "binance",
  currency: async (code: string) => (code === "BTC" ? { code, name: "Bitcoin", depositEnabled: true, networks: [{ network: "BTC", exchangeNetworkId: "BTC", depositEnabled: true, tagRequired: false }] } : undefined),
  capabilities: { fetchDepositAddress: true },
  fetchAddresses: () => Promise.reject(new Error("the exchange must not be asked")),
};
const access = { open: async () => ({ account: { id: ACCOUNT, userId: USER, exchangeId: "binance" }, client: exchange }) } as unknown as AccountExchange;
const noLocks = { acquire: () => Promise.reject(new Error("no lock must be taken")) } as unknown as AdvisoryLocks;

function service(rows: AddressView[]): DepositAddressService {
  return new DepositAddressService({} as EntityManager, fakeAddresses(rows), access, {} as AddressChecker, noLocks);
}

describe("DepositAddressService with a fake repository", () => {
  it("answers the stored address of a route without a lock or the exchange", async () => {
    const existing = stored("a1");
    const result = await service([existing]).create({ userId: USER } as never, { exchangeAccountId: ACCOUNT, currency: "btc", network: "" });
    expect(result).toEqual({ address: existing, createdOnExchange: false });
  });

  it("does not find another user's address, and pages one row beyond the page", async () => {
    const rows = [stored("a1"), stored("a2"), stored("a3")];
    await expect(service(rows).get("00000000-0000-4000-8000-000000000002", "a1", "full")).rejects.toBeInstanceOf(NotFoundError);
    const page = await service(rows).list({ userId: USER, showDeleted: false }, { pageSize: 2, tokenAfter: (last) => `after:${last.id}` }, "basic");
    expect(page.items.map((a) => a.id)).toEqual(["a1", "a2"]);
    expect(page.nextPageToken).toBe("after:a2");
  });
});
