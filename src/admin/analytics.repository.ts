import type { EntityManager } from "@mikro-orm/postgresql";

/** What the database knows of one exchange's use and sync health. */
export interface ExchangeUsage {
  readonly exchangeId: string;
  readonly accounts: number;
  readonly activeAccounts: number;
  readonly addresses: number;
  /** Finished runs started since the period's start. */
  readonly syncRuns: number;
  readonly succeededRuns: number;
  readonly durationP50Ms: number;
  readonly durationP95Ms: number;
}

interface UsageRow {
  exchange_id: string;
  accounts: number;
  active_accounts: number;
  addresses: number;
  sync_runs: number;
  succeeded_runs: number;
  p50: number | string | null;
  p95: number | string | null;
}

/**
 * GetAnalytics's one query: per catalogue exchange, accounts and addresses
 * counted by GROUP BY, and the period's finished runs with their duration
 * percentiles computed by PostgreSQL (percentile_cont), not in memory.
 */
export class AnalyticsRepository {
  constructor(private readonly em: EntityManager) {}

  async usage(since: Date): Promise<ExchangeUsage[]> {
    const rows = await this.em.execute<UsageRow[]>(
      `with acc as (
         select exchange_id, count(*)::int as accounts, (count(*) filter (where is_active))::int as active_accounts
           from exchange_accounts where deleted_at is null group by exchange_id
       ), addr as (
         select exchange_id, count(*)::int as addresses
           from exchange_deposit_addresses where deleted_at is null group by exchange_id
       ), runs as (
         select a.exchange_id, count(*)::int as sync_runs,
                (count(*) filter (where l.status = 'succeeded'))::int as succeeded_runs,
                percentile_cont(0.5) within group (order by l.sync_duration_ms) as p50,
                percentile_cont(0.95) within group (order by l.sync_duration_ms) as p95
           from address_sync_log l join exchange_accounts a on a.id = l.exchange_account_id
          where l.created_at >= ? and l.status <> 'running'
          group by a.exchange_id
       )
       select x.id as exchange_id,
              coalesce(acc.accounts, 0) as accounts, coalesce(acc.active_accounts, 0) as active_accounts,
              coalesce(addr.addresses, 0) as addresses,
              coalesce(runs.sync_runs, 0) as sync_runs, coalesce(runs.succeeded_runs, 0) as succeeded_runs,
              runs.p50, runs.p95
         from supported_exchanges x
         left join acc on acc.exchange_id = x.id
         left join addr on addr.exchange_id = x.id
         left join runs on runs.exchange_id = x.id
        order by x.id`,
      [since],
    );
    return rows.map((r) => ({
      exchangeId: r.exchange_id,
      accounts: r.accounts,
      activeAccounts: r.active_accounts,
      addresses: r.addresses,
      syncRuns: r.sync_runs,
      succeededRuns: r.succeeded_runs,
      durationP50Ms: Math.round(Number(r.p50 ?? 0)),
      durationP95Ms: Math.round(Number(r.p95 ?? 0)),
    }));
  }
}
