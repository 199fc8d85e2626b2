import type { ServiceImpl } from "@connectrpc/connect";
import type { ExchangeAccountService } from "../accounts/exchange-account.service.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import { pageRequest } from "../pagination.js";
import { Violations } from "../validation.js";
import type { AdminService } from "../../gen/wallet/v1/admin_service_pb.js";
import { SyncStatus } from "../../gen/wallet/v1/sync_pb.js";
import { exchangeAccountToProto, syncStatusFromProto } from "./mappers.js";

type AdminRpcs = Pick<ServiceImpl<typeof AdminService>, "listAllExchangeAccounts">;

/** AdminService RPCs; the auth interceptor has checked the admin role. */
export function adminHandlers(accounts: ExchangeAccountService, catalogue: ExchangeCatalogue): AdminRpcs {
  return {
    async listAllExchangeAccounts(req) {
      const v = new Violations().optionalUuid("user_id", req.userId);
      if (req.exchangeId && !catalogue.get(req.exchangeId)) v.add("exchange_id", "is not a supported exchange");
      const syncStatus = syncStatusFromProto(req.syncStatus);
      if (req.syncStatus !== SyncStatus.UNSPECIFIED && !syncStatus) v.add("sync_status", "is not a sync status");
      v.throwIfAny();
      const filters = { userId: req.userId.toLowerCase() || undefined, exchangeId: req.exchangeId || undefined, syncStatus, showDeleted: req.showDeleted };
      const scope = `all-accounts:${JSON.stringify(filters)}`;
      const page = await accounts.list(filters, pageRequest(req.pageSize, req.pageToken, scope), scope);
      return { exchangeAccounts: page.items.map(exchangeAccountToProto), nextPageToken: page.nextPageToken };
    },
  };
}
