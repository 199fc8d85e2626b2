import type { ServiceImpl } from "@connectrpc/connect";
import { capabilitiesOf } from "../exchange/capabilities.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { PageTokens } from "../pagination.js";
import type { WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { supportedExchangeToProto } from "./mappers.js";

type CatalogueRpcs = Pick<ServiceImpl<typeof WalletService>, "listSupportedExchanges" | "getExchangeInfo">;

/** The exchange catalogue RPCs: what the service supports and can do on each exchange. */
export function catalogueHandlers(catalogue: ExchangeCatalogue, pageTokens: PageTokens): CatalogueRpcs {
  return {
    listSupportedExchanges(req) {
      const page = pageTokens.pageOfList(catalogue.list(), req.pageSize, req.pageToken, "supported-exchanges");
      return { exchanges: page.items.map(supportedExchangeToProto), nextPageToken: page.nextPageToken };
    },

    async getExchangeInfo(req) {
      const row = catalogue.require(req.exchangeId, "exchange_id");
      return { exchange: supportedExchangeToProto(row), capabilities: await capabilitiesOf(row) };
    },
  };
}
