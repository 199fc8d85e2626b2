import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ExchangeAccountService } from "../accounts/exchange-account.service.js";
import type { ForceSyncTargets, SyncAdminService } from "../admin/sync-admin.service.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { PageTokens } from "../pagination.js";
import { SYNC_STATES } from "../sync/sync-state.js";
import { isUuid, Violations } from "../validation.js";
import type { AdminService } from "../../gen/wallet/v1/admin_service_pb.js";
import { SyncStatus, SyncType } from "../../gen/wallet/v1/sync_pb.js";
import { exchangeAccountToProto, syncStatusFromProto, syncStatusToProto } from "./mappers.js";
import { syncRunToProto, syncTypeFromProto } from "./sync-mappers.js";

const DEFAULT_FAILURES = 10;
const MAX_FAILURES = 100;
const MAX_FORCED_ACCOUNTS = 1000;
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** AdminService RPCs; the auth interceptor has checked the admin role. */
export function adminHandlers(accounts: ExchangeAccountService, catalogue: ExchangeCatalogue, admin: SyncAdminService, pageTokens: PageTokens): ServiceImpl<typeof AdminService> {
  return {
    async listAllExchangeAccounts(req) {
      const v = new Violations().optionalUuid("user_id", req.userId);
      if (req.exchangeId && !catalogue.get(req.exchangeId)) v.add("exchange_id", "is not a supported exchange");
      const syncStatus = syncStatusFromProto(req.syncStatus);
      if (req.syncStatus !== SyncStatus.UNSPECIFIED && !syncStatus) v.add("sync_status", "is not a sync status");
      v.throwIfAny();
      const filters = { userId: req.userId.toLowerCase() || undefined, exchangeId: req.exchangeId || undefined, syncStatus, showDeleted: req.showDeleted };
      const page = await accounts.list(filters, pageTokens.request(req.pageSize, req.pageToken, `all-accounts:${JSON.stringify(filters)}`));
      return { exchangeAccounts: page.items.map(exchangeAccountToProto), nextPageToken: page.nextPageToken };
    },

    async getSyncStatus(req) {
      const v = new Violations();
      if (req.exchangeId && !catalogue.get(req.exchangeId)) v.add("exchange_id", "is not a supported exchange");
      if (req.recentFailuresLimit < 0) v.add("recent_failures_limit", "must not be negative");
      v.throwIfAny();
      const limit = Math.min(MAX_FAILURES, req.recentFailuresLimit || DEFAULT_FAILURES);
      const summaries = await admin.syncStatus(req.exchangeId || undefined, limit);
      return {
        exchanges: summaries.map((s) => ({
          exchangeId: s.exchangeId,
          accountsByStatus: SYNC_STATES.map((state) => ({ syncStatus: syncStatusToProto(state), count: s.accountsByStatus[state] })),
          lastSyncTime: s.lastSyncAt ? timestampFromDate(s.lastSyncAt) : undefined,
          oldestSyncTime: s.oldestSyncAt ? timestampFromDate(s.oldestSyncAt) : undefined,
          recentFailures: s.recentFailures.map((run) => ({ syncRun: syncRunToProto(run), userId: run.userId })),
        })),
      };
    },

    async forceSync(req) {
      const v = new Violations();
      const ids = req.exchangeAccountIds.map((id) => id.toLowerCase());
      if (ids.length > 0 && req.exchangeId) {
        v.add("exchange_id", "set exchange_account_ids or exchange_id, not both");
      } else if (ids.length === 0 && !req.exchangeId) {
        v.add("exchange_account_ids", "set exchange_account_ids or exchange_id");
      }
      if (ids.length > MAX_FORCED_ACCOUNTS) v.add("exchange_account_ids", `must hold at most ${MAX_FORCED_ACCOUNTS} ids`);
      else ids.forEach((id, i) => !isUuid(id) && v.add(`exchange_account_ids[${i}]`, "must be a UUID"));
      if (req.exchangeId && !catalogue.get(req.exchangeId)) v.add("exchange_id", "is not a supported exchange");
      if (req.syncType === SyncType.SINGLE_CURRENCY) v.add("sync_type", "must be SYNC_TYPE_FULL or SYNC_TYPE_INCREMENTAL: a forced sync covers the account, not chosen currencies");
      v.throwIfAny();
      const type = syncTypeFromProto(req.syncType);
      const targets: ForceSyncTargets = req.exchangeId ? { exchangeId: req.exchangeId } : { accountIds: ids };
      const queued = await admin.forceSync(targets, type === "full" ? "full" : "incremental");
      return { queuedSyncs: queued.map((q) => ({ exchangeAccountId: q.accountId, jobId: q.jobId, alreadyQueued: q.alreadyQueued })) };
    },

    async getAnalytics(req) {
      const start = req.startTime ? timestampDate(req.startTime) : new Date(Date.now() - WEEK_MS);
      if (Number.isNaN(start.getTime()) || start.getTime() > Date.now()) {
        new Violations().add("start_time", "must be a valid time in the past").throwIfAny();
      }
      const figures = await admin.analytics(start);
      return {
        startTime: timestampFromDate(start),
        exchanges: figures.map((f) => ({
          exchangeId: f.exchangeId,
          accounts: f.accounts,
          activeAccounts: f.activeAccounts,
          addresses: f.addresses,
          syncRuns: f.syncRuns,
          syncSuccessRate: f.syncRuns > 0 ? f.succeededRuns / f.syncRuns : 0,
          syncDurationP50Ms: BigInt(f.durationP50Ms),
          syncDurationP95Ms: BigInt(f.durationP95Ms),
          exchangeCallErrors: BigInt(f.errors),
          rateLimitIncidents: BigInt(f.rateLimitedAnswers + f.rateLimitWaits),
          rateLimitedAnswers: BigInt(f.rateLimitedAnswers),
          rateLimitWaits: BigInt(f.rateLimitWaits),
        })),
      };
    },
  };
}
