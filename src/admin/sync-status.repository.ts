import type { EntityManager } from "@mikro-orm/postgresql";
import { type SyncRun, SyncRunSchema } from "../sync/sync-run.entity.js";
import { SYNC_STATES, type SyncState } from "../sync/sync-state.js";

/** The sync state of one exchange's accounts. */
export interface ExchangeSyncSummary {
  readonly exchangeId: string;
  /** Active accounts per sync status, every status present. */
  readonly accountsByStatus: Record<SyncState, number>;
  readonly lastSyncAt?: Date;
  /** The least recent last sync among active accounts that have synced. */
  readonly oldestSyncAt?: Date;
  /** The latest FAILED or PARTIAL runs, newest first. */
  readonly recentFailures: SyncRun[];
}

interface CountRow {
  exchange_id: string;
  sync_status: SyncState;
  active: number;
  last_sync_at: Date | string | null;
  oldest_sync_at: Date | string | null;
}

/**
 * GetSyncStatus's queries: one GROUP BY over the live accounts, and per
 * exchange a LATERAL of its latest failed/partial runs, which walks the
 * partial index idx_sync_failures newest first and stops at the limit.
 */
export class SyncStatusRepository {
  constructor(private readonly em: EntityManager) {}

  async summaries(exchangeId: string | undefined, failuresLimit: number): Promise<ExchangeSyncSummary[]> {
    const rows = await this.em.execute<CountRow[]>(
      `select exchange_id, sync_status,
              (count(*) filter (where is_active))::int as active,
              max(last_sync_at) as last_sync_at,
              min(last_sync_at) filter (where is_active) as oldest_sync_at
         from exchange_accounts
        where deleted_at is null ${exchangeId ? "and exchange_id = ?" : ""}
        group by exchange_id, sync_status
        order by exchange_id`,
      exchangeId ? [exchangeId] : [],
    );
    const byExchange = new Map<string, { counts: Record<SyncState, number>; last?: Date; oldest?: Date }>();
    for (const row of rows) {
      const entry = byExchange.get(row.exchange_id) ?? { counts: Object.fromEntries(SYNC_STATES.map((s) => [s, 0])) as Record<SyncState, number> };
      entry.counts[row.sync_status] = (entry.counts[row.sync_status] ?? 0) + row.active;
      entry.last = later(entry.last, dateOf(row.last_sync_at));
      entry.oldest = earlier(entry.oldest, dateOf(row.oldest_sync_at));
      byExchange.set(row.exchange_id, entry);
    }
    const failures = await this.recentFailures([...byExchange.keys()], failuresLimit);
    return [...byExchange].map(([id, e]) => ({
      exchangeId: id,
      accountsByStatus: e.counts,
      lastSyncAt: e.last,
      oldestSyncAt: e.oldest,
      recentFailures: failures.get(id) ?? [],
    }));
  }

  private async recentFailures(exchangeIds: string[], limit: number): Promise<Map<string, SyncRun[]>> {
    const out = new Map<string, SyncRun[]>();
    if (exchangeIds.length === 0 || limit === 0) return out;
    const rows = await this.em.execute<(Record<string, unknown> & { of_exchange: string })[]>(
      `select e.id as of_exchange, r.*
         from (values ${exchangeIds.map(() => "(?)").join(", ")}) as e(id)
         cross join lateral (
           select l.* from address_sync_log l
             join exchange_accounts a on a.id = l.exchange_account_id
            where l.status in ('failed', 'partial') and a.exchange_id = e.id
            order by l.created_at desc, l.id desc
            limit ?
         ) r
        order by e.id, r.created_at desc, r.id desc`,
      [...exchangeIds, limit],
    );
    for (const { of_exchange: exchangeId, ...row } of rows) {
      out.set(exchangeId, [...(out.get(exchangeId) ?? []), this.em.map(SyncRunSchema, row)]);
    }
    return out;
  }
}

function dateOf(value: Date | string | null): Date | undefined {
  return value === null ? undefined : new Date(value);
}

function later(a: Date | undefined, b: Date | undefined): Date | undefined {
  return !a || (b && b > a) ? b : a;
}

function earlier(a: Date | undefined, b: Date | undefined): Date | undefined {
  return !a || (b && b < a) ? b : a;
}
