import type { ServiceImpl } from "@connectrpc/connect";
import type { AccountExchange } from "../accounts/account-exchange.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { PageTokens } from "../pagination.js";
import { Violations } from "../validation.js";
import type { WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { actorOf, callerOf } from "./context.js";
import { keyPermissionsToProto } from "./mappers.js";

type ExchangeAccessRpcs = Pick<ServiceImpl<typeof WalletService>, "testExchangeConnection" | "listExchangeCurrencies">;

/** The RPCs that reach an exchange with an account's key without touching addresses. */
export function exchangeAccessHandlers(access: AccountExchange, catalogue: ExchangeCatalogue, pageTokens: PageTokens): ExchangeAccessRpcs {
  return {
    async testExchangeConnection(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      const result = await access.testConnection(actorOf(ctx), req.id);
      return {
        ok: result.ok,
        latencyMs: BigInt(result.latencyMs),
        permissions: result.permissions ? keyPermissionsToProto(result.permissions) : undefined,
        errorReason: result.errorReason ?? "",
        errorMessage: result.errorMessage ?? "",
        warnings: result.warnings,
      };
    },

    async listExchangeCurrencies(req, ctx) {
      const v = new Violations().optionalUuid("exchange_account_id", req.exchangeAccountId);
      if (req.pageSize < 0) v.add("page_size", "must not be negative");
      v.throwIfAny();
      catalogue.require(req.exchangeId, "exchange_id");
      const currencies = await access.currencies(callerOf(ctx).userId, req.exchangeId, req.exchangeAccountId);
      const page = pageTokens.pageOfList(currencies, req.pageSize, req.pageToken, `currencies:${req.exchangeId}`);
      return {
        currencies: page.items.map((c) => ({
          code: c.code,
          name: c.name,
          depositEnabled: c.depositEnabled,
          networks: c.networks.map((n) => ({
            network: n.network,
            exchangeNetworkId: n.exchangeNetworkId,
            depositEnabled: n.depositEnabled,
            tagRequired: n.tagRequired,
          })),
        })),
        nextPageToken: page.nextPageToken,
      };
    },
  };
}
