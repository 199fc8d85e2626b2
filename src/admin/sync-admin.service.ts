import type { EntityManager } from "@mikro-orm/postgresql";
import type { ExchangeMetrics } from "../exchange/exchange-metrics.js";
import type { QueuedSyncJob, QueuedSyncType, SyncJobs, SyncTarget } from "../jobs/sync-jobs.js";
import { Violations } from "../validation.js";
import { AnalyticsRepository, type ExchangeUsage } from "./analytics.repository.js";
import { type ExchangeIncidents, exchangeIncidents } from "./exchange-incidents.js";
import { type ExchangeSyncSummary, SyncStatusRepository } from "./sync-status.repository.js";

/** Which accounts ForceSync queues: these ids, or every active account of the exchange. */
export type ForceSyncTargets = { readonly accountIds: readonly string[] } | { readonly exchangeId: string };

/** GetAnalytics's figures for one exchange. */
export type ExchangeAnalytics = ExchangeUsage & ExchangeIncidents;

interface AccountRow {
  id: string;
  exchange_id: string;
  is_active: boolean;
  deleted: boolean;
}

/**
 * The operators' view across every user: sync state and usage per exchange,
 * and forced syncs through the job queue. The RPC layer has checked the
 * admin role and the request's shape.
 */
export class SyncAdminService {
  constructor(
    private readonly em: EntityManager,
    private readonly jobs: SyncJobs,
    private readonly exchangeMetrics: ExchangeMetrics,
  ) {}

  syncStatus(exchangeId: string | undefined, failuresLimit: number): Promise<ExchangeSyncSummary[]> {
    return new SyncStatusRepository(this.em.fork()).summaries(exchangeId, failuresLimit);
  }

  async analytics(since: Date): Promise<ExchangeAnalytics[]> {
    const [usage, incidents] = await Promise.all([new AnalyticsRepository(this.em.fork()).usage(since), exchangeIncidents(this.exchangeMetrics)]);
    return usage.map((u) => ({ ...u, ...(incidents.get(u.exchangeId) ?? { errors: 0, rateLimitedAnswers: 0, rateLimitWaits: 0 }) }));
  }

  /**
   * Queues a sync of each account (one job per account, reusing a waiting
   * one). Named accounts must exist, live and active: each that does not is
   * a violation naming its index in `exchange_account_ids`.
   */
  async forceSync(targets: ForceSyncTargets, type: QueuedSyncType): Promise<QueuedSyncJob[]> {
    const em = this.em.fork();
    let accounts: SyncTarget[];
    if ("exchangeId" in targets) {
      const rows = await em.execute<{ id: string; exchange_id: string }[]>(
        "select id, exchange_id from exchange_accounts where exchange_id = ? and is_active and deleted_at is null order by created_at, id",
        [targets.exchangeId],
      );
      accounts = rows.map((r) => ({ accountId: r.id, exchangeId: r.exchange_id }));
    } else {
      const ids = [...new Set(targets.accountIds)];
      const rows = ids.length === 0 ? [] : await em.execute<AccountRow[]>(
        "select id, exchange_id, is_active, deleted_at is not null as deleted from exchange_accounts where id in (?)",
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      const v = new Violations();
      targets.accountIds.forEach((id, i) => {
        const row = byId.get(id);
        if (!row || row.deleted) v.add(`exchange_account_ids[${i}]`, "no such exchange account");
        else if (!row.is_active) v.add(`exchange_account_ids[${i}]`, "is inactive; activate it with UpdateExchangeAccount first");
      });
      v.throwIfAny();
      accounts = ids.map((id) => ({ accountId: id, exchangeId: byId.get(id)!.exchange_id }));
    }
    return this.jobs.enqueue(accounts, type, "force");
  }
}
