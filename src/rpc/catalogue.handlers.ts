import type { ServiceImpl } from "@connectrpc/connect";
import { capabilitiesOf } from "../exchange/capabilities.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../pagination.js";
import { Violations } from "../validation.js";
import type { WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { supportedExchangeToProto } from "./mappers.js";

type CatalogueRpcs = Pick<ServiceImpl<typeof WalletService>, "listSupportedExchanges" | "getExchangeInfo">;

/** The exchange catalogue RPCs: what the service supports and can do on each exchange. */
export function catalogueHandlers(catalogue: ExchangeCatalogue): CatalogueRpcs {
  return {
    listSupportedExchanges(req) {
      // The catalogue is a handful of rows: an offset is token enough.
      const v = new Violations();
      if (req.pageSize < 0) v.add("page_size", "must not be negative");
      const offset = req.pageToken ? Number(Buffer.from(req.pageToken, "base64url").toString()) : 0;
      if (!Number.isInteger(offset) || offset < 0) v.add("page_token", "is not a token of this query");
      v.throwIfAny();
      const size = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const rows = catalogue.list();
      const end = offset + size;
      return {
        exchanges: rows.slice(offset, end).map(supportedExchangeToProto),
        nextPageToken: end < rows.length ? Buffer.from(String(end)).toString("base64url") : "",
      };
    },

    getExchangeInfo(req) {
      const row = catalogue.require(req.exchangeId, "exchange_id");
      return { exchange: supportedExchangeToProto(row), capabilities: capabilitiesOf(row.ccxtId) };
    },
  };
}
