import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { FieldMaskSchema, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdminService } from '../../gen/wallet/v1/admin_service_pb.js';
import { type SyncRun, SyncStatus, SyncType } from '../../gen/wallet/v1/sync_pb.js';
import { connectClient, connectError } from '../support/clients.js';
import { type Connected, type ExchangeHarness, useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';

const logs = useLogCapture();
// One sync at a time per exchange on this replica, so the cap shows; each test keeps to exchanges of its own.
const h = useExchangeHarness(logs, { WALLET_SYNC_WORKERS_PER_EXCHANGE: '1' });
/** The job queue connects with the database URL: its password must not reach a log line either. */
const registerDatabasePassword = (harness: ExchangeHarness) => beforeAll(() => logs.registerSecret(decodeURIComponent(new URL(harness.svc.database.url).password)));
registerDatabasePassword(h);

async function adminClient(harness: ExchangeHarness = h) {
  return connectClient(AdminService, harness.svc.baseUrl, await harness.svc.token(randomUUID(), { admin: true }));
}

/** Runs a sync through SyncDepositAddresses to its end and answers the logged run. */
async function sync(c: Connected, syncType = SyncType.FULL): Promise<SyncRun> {
  let run: SyncRun | undefined;
  for await (const m of c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType })) {
    if (m.event.case === 'completed') run = m.event.value.syncRun;
  }
  if (!run) throw new Error('the stream ended without completed');
  return run;
}

async function runsOf(c: Connected): Promise<SyncRun[]> {
  return (await c.client.listSyncRuns({ exchangeAccountId: c.accountId })).syncRuns;
}

/** The account's finished runs, oldest first, once there are `count` of them. */
async function finishedRuns(c: Connected, count: number, timeout = 15_000): Promise<SyncRun[]> {
  const finished = async () => (await runsOf(c)).filter((r) => r.status !== SyncStatus.RUNNING).reverse();
  await expect.poll(async () => (await finished()).length, { timeout, interval: 100 }).toBe(count);
  return finished();
}

const ms = (run: SyncRun, field: 'createTime' | 'completeTime') => timestampDate(run[field]!).getTime();
const deactivate = (c: Connected) =>
  c.client.updateExchangeAccount({ exchangeAccount: { id: c.accountId, isActive: false }, updateMask: create(FieldMaskSchema, { paths: ['is_active'] }) });

async function metric(harness: ExchangeHarness, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${harness.svc.baseUrl}/metrics`)).text();
  return text.split('\n').filter((line) => pattern.test(line)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

function percentile(sorted: number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
}

describe('GetSyncStatus and GetAnalytics', () => {
  it('count accounts by sync status, and report last and oldest syncs, failures, success rate, durations and exchange trouble', async () => {
    const ex = h.sim.exchange('binance');
    const [ok, partial, failed, inactive, deleted] = [await h.connect('binance'), await h.connect('binance'), await h.connect('binance'), await h.connect('binance'), await h.connect('binance')];
    ex.injectFault({ kind: 'rate_limit', count: 1, pathIncludes: 'coin=BTC' }); // answered 429 once, then retried
    const okRun = await sync(ok);
    ex.injectFault({ kind: 'server_error', pathIncludes: 'coin=XRP', durationMs: 60_000 });
    const partialRun = await sync(partial);
    ex.clearFaults();
    ex.injectFault({ kind: 'auth', durationMs: 60_000 });
    const failedRun = await sync(failed);
    ex.clearFaults();
    expect([okRun.status, partialRun.status, failedRun.status]).toEqual([SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED]);
    await deactivate(inactive);
    await deleted.client.deleteExchangeAccount({ id: deleted.accountId });
    const admin = await adminClient();

    const status = await admin.getSyncStatus({ exchangeId: 'binance' });
    expect(status.exchanges.map((e) => e.exchangeId)).toEqual(['binance']);
    const binance = status.exchanges[0]!;
    const counts = Object.fromEntries(binance.accountsByStatus.map((c) => [SyncStatus[c.syncStatus], c.count]));
    expect(counts).toEqual({ PENDING: 0, RUNNING: 0, SUCCEEDED: 1, PARTIAL: 1, FAILED: 1 });
    const lastSync = async (c: Connected) => timestampDate((await c.client.getExchangeAccount({ id: c.accountId })).exchangeAccount!.lastSyncTime!).getTime();
    expect(timestampDate(binance.lastSyncTime!).getTime()).toBe(await lastSync(failed));
    expect(timestampDate(binance.oldestSyncTime!).getTime()).toBe(await lastSync(ok));
    expect(binance.recentFailures.map((f) => [f.syncRun!.id, f.userId])).toEqual([[failedRun.id, failed.userId], [partialRun.id, partial.userId]]);
    expect(binance.recentFailures[1]!.syncRun!.errorDetails[0]).toMatchObject({ currency: 'XRP' });
    const limited = await admin.getSyncStatus({ exchangeId: 'binance', recentFailuresLimit: 1 });
    expect(limited.exchanges[0]!.recentFailures.map((f) => f.syncRun!.id)).toEqual([failedRun.id]);
    expect((await admin.getSyncStatus({})).exchanges.map((e) => e.exchangeId)).toContain('binance');

    const analytics = await admin.getAnalytics({});
    expect(analytics.exchanges.map((e) => e.exchangeId)).toEqual(['binance', 'bitfinex', 'bybit', 'coinbase', 'huobi', 'kraken', 'kucoin', 'okx']);
    const a = analytics.exchanges.find((e) => e.exchangeId === 'binance')!;
    const runs = [okRun, partialRun, failedRun];
    const durations = runs.map((r) => Number(r.durationMs)).sort((x, y) => x - y);
    expect(a).toMatchObject({ accounts: 4, activeAccounts: 3, syncRuns: 3 });
    expect(a.addresses).toBe(runs.reduce((n, r) => n + r.addressesAdded, 0));
    expect(a.addresses).toBeGreaterThan(5);
    expect(a.syncSuccessRate).toBeCloseTo(1 / 3, 6);
    expect(Number(a.syncDurationP50Ms)).toBe(durations[1]);
    expect(Math.abs(Number(a.syncDurationP95Ms) - percentile(durations, 0.95))).toBeLessThanOrEqual(1);
    // This replica's exchange-layer counters, the same figures /metrics shows.
    expect(Number(a.exchangeCallErrors)).toBeGreaterThanOrEqual(2);
    expect(Number(a.exchangeCallErrors)).toBe(await metric(h, /^wallet_exchange_errors_total\{.*exchange="binance"/));
    expect(Number(a.rateLimitedAnswers)).toBeGreaterThanOrEqual(1);
    expect(Number(a.rateLimitedAnswers)).toBe(await metric(h, /^wallet_exchange_rate_limited_total\{exchange="binance"\}/));
    expect(Number(a.rateLimitIncidents)).toBe(Number(a.rateLimitedAnswers) + Number(a.rateLimitWaits));
    const later = await admin.getAnalytics({ startTime: timestampFromDate(new Date()) });
    expect(later.exchanges.find((e) => e.exchangeId === 'binance')).toMatchObject({ accounts: 4, syncRuns: 0, syncSuccessRate: 0, syncDurationP50Ms: 0n });
  });
});

describe('ForceSync', () => {
  it('runs one job per named account on the queue, one sync at a time per exchange at a cap of 1', async () => {
    const accounts = [await h.connect('bybit'), await h.connect('bybit'), await h.connect('bybit')];
    h.sim.exchange('bybit').setLatency(60);
    const admin = await adminClient();
    const res = await admin.forceSync({ exchangeAccountIds: accounts.map((c) => c.accountId) });
    expect(res.queuedSyncs.map((q) => q.exchangeAccountId)).toEqual(accounts.map((c) => c.accountId));
    expect(new Set(res.queuedSyncs.map((q) => q.jobId)).size).toBe(3);
    expect(res.queuedSyncs.every((q) => !q.alreadyQueued)).toBe(true);
    const runs = (await Promise.all(accounts.map(async (c) => (await finishedRuns(c, 1))[0]!))).sort((x, y) => ms(x, 'createTime') - ms(y, 'createTime'));
    expect(runs.map((r) => [r.status, r.syncType])).toEqual(Array(3).fill([SyncStatus.SUCCEEDED, SyncType.FULL]));
    expect(Math.min(...runs.map((r) => Number(r.durationMs)))).toBeGreaterThan(50);
    for (let i = 1; i < runs.length; i++) expect(ms(runs[i]!, 'createTime')).toBeGreaterThanOrEqual(ms(runs[i - 1]!, 'completeTime'));
  });

  it('queues every active account of an exchange, leaving out inactive and deleted ones', async () => {
    const [a, b, inactive, deleted] = [await h.connect('okx'), await h.connect('okx'), await h.connect('okx'), await h.connect('okx')];
    await deactivate(inactive);
    await deleted.client.deleteExchangeAccount({ id: deleted.accountId });
    const res = await (await adminClient()).forceSync({ exchangeId: 'okx', syncType: SyncType.INCREMENTAL });
    expect(res.queuedSyncs.map((q) => q.exchangeAccountId)).toEqual([a.accountId, b.accountId]);
    for (const c of [a, b]) expect((await finishedRuns(c, 1))[0]).toMatchObject({ status: SyncStatus.SUCCEEDED, syncType: SyncType.INCREMENTAL });
    expect(await runsOf(inactive)).toEqual([]);
  });

  it('answers the waiting job to a second request for the same account, and skips a job whose account was deleted meanwhile', async () => {
    const [busy, twice, gone] = [await h.connect('bitfinex'), await h.connect('bitfinex'), await h.connect('bitfinex')];
    h.sim.exchange('bitfinex').setLatency(100);
    const admin = await adminClient();
    await admin.forceSync({ exchangeAccountIds: [busy.accountId] }); // takes the exchange's one worker
    await expect.poll(async () => (await runsOf(busy)).length, { interval: 50 }).toBe(1);
    const first = await admin.forceSync({ exchangeAccountIds: [twice.accountId, gone.accountId], syncType: SyncType.INCREMENTAL });
    const second = await admin.forceSync({ exchangeAccountIds: [twice.accountId] }); // FULL: upgrades the waiting job
    expect(second.queuedSyncs[0]).toMatchObject({ jobId: first.queuedSyncs[0]!.jobId, alreadyQueued: true });
    await gone.client.deleteExchangeAccount({ id: gone.accountId });
    const [run] = await finishedRuns(twice, 1);
    expect(run).toMatchObject({ status: SyncStatus.SUCCEEDED, syncType: SyncType.FULL });
    const jobs = await withPgClient(h.svc.database.url, (pg) => pg.query('select count(*)::int as n from pgboss.job where singleton_key = $1', [twice.accountId]));
    expect(jobs.rows[0]!.n).toBe(1);
    await expect.poll(() => logs.entries().some((e) => e.msg === 'sync job skipped: the account is deleted or inactive' && e.accountId === gone.accountId)).toBe(true);
    const goneRuns = await withPgClient(h.svc.database.url, (pg) => pg.query('select count(*)::int as n from address_sync_log where exchange_account_id = $1', [gone.accountId]));
    expect(goneRuns.rows[0]!.n).toBe(0);
  });

  it('retries a job that meets a running sync of its account, and runs it after that sync', async () => {
    const c = await h.connect('kucoin');
    h.sim.exchange('kucoin').setLatency(150);
    const streamed = sync(c);
    await expect.poll(async () => (await runsOf(c)).length, { interval: 20 }).toBe(1);
    await (await adminClient()).forceSync({ exchangeAccountIds: [c.accountId] });
    await expect.poll(() => logs.entries().some((e) => e.msg === 'sync job postponed: a sync of the account is running' && e.accountId === c.accountId)).toBe(true);
    const first = await streamed;
    const runs = await finishedRuns(c, 2);
    expect(runs[0]!.id).toBe(first.id);
    expect(runs[1]!.status).toBe(SyncStatus.SUCCEEDED);
    expect(ms(runs[1]!, 'createTime')).toBeGreaterThanOrEqual(ms(first, 'completeTime'));
    expect(await metric(h, /^wallet_sync_jobs_finished_total\{(?=.*exchange="kucoin")(?=.*outcome="retry")/)).toBeGreaterThanOrEqual(1);
  });
});

describe('bad requests', () => {
  it('name their fields, and a caller without the admin role is refused', async () => {
    const admin = await adminClient();
    const deleted = await h.connect('coinbase');
    const live = await h.connect('coinbase');
    await deleted.client.deleteExchangeAccount({ id: deleted.accountId });
    const fields = async (call: Promise<unknown>) => {
      const err = await connectError(call);
      expect(err.code).toBe('INVALID_ARGUMENT');
      return err.fieldViolations.map((v) => v.field);
    };
    expect(await fields(admin.forceSync({}))).toEqual(['exchange_account_ids']);
    expect(await fields(admin.forceSync({ exchangeAccountIds: [live.accountId], exchangeId: 'coinbase' }))).toEqual(['exchange_id']);
    expect(await fields(admin.forceSync({ exchangeAccountIds: [live.accountId, 'nope'] }))).toEqual(['exchange_account_ids[1]']);
    expect(await fields(admin.forceSync({ exchangeAccountIds: [live.accountId, randomUUID(), deleted.accountId] }))).toEqual(['exchange_account_ids[1]', 'exchange_account_ids[2]']);
    expect(await fields(admin.forceSync({ exchangeAccountIds: Array.from({ length: 1001 }, () => randomUUID()) }))).toEqual(['exchange_account_ids']);
    expect(await fields(admin.forceSync({ exchangeId: 'mtgox' }))).toEqual(['exchange_id']);
    expect(await fields(admin.forceSync({ exchangeId: 'coinbase', syncType: SyncType.SINGLE_CURRENCY }))).toEqual(['sync_type']);
    expect(await fields(admin.getSyncStatus({ exchangeId: 'mtgox', recentFailuresLimit: -1 }))).toEqual(['exchange_id', 'recent_failures_limit']);
    expect(await fields(admin.getAnalytics({ startTime: timestampFromDate(new Date(Date.now() + 60_000)) }))).toEqual(['start_time']);
    const jobs = await withPgClient(h.svc.database.url, (pg) => pg.query('select count(*)::int as n from pgboss.job where singleton_key = $1', [live.accountId]));
    expect(jobs.rows[0]!.n).toBe(0); // the refused requests queued nothing

    const user = connectClient(AdminService, h.svc.baseUrl, await h.svc.token());
    expect(await connectError(user.forceSync({ exchangeId: 'coinbase' }))).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

describe('the periodic sync', () => {
  const INTERVAL = 2000;
  const p = useExchangeHarness(logs, { WALLET_SYNC_INTERVAL: '2s' });
  registerDatabasePassword(p);
  /** Rounds are queued in the middle of each 2-second slot of the clock (here at 1000 ms past it); waits for a phase of the slot. */
  const atPhase = (phase: number) => sleep((phase - (Date.now() % INTERVAL) + INTERVAL) % INTERVAL);

  it('queues incremental syncs of active accounts not synced lately, and of none other', async () => {
    await atPhase(1150); // just after a round: the next one is 1.85 s away
    const never = await p.connect('binance');
    const stale = await p.connect('binance');
    await sync(stale);
    await withPgClient(p.svc.database.url, (pg) => pg.query("update exchange_accounts set last_sync_at = now() - interval '1 hour' where id = $1", [stale.accountId]));
    const deleted = await p.connect('binance');
    await deleted.client.deleteExchangeAccount({ id: deleted.accountId });
    await atPhase(100); // a new slot: a sync now is fresh at its round
    const fresh = await p.connect('binance');
    const freshRun = await sync(fresh);

    for (const c of [never, stale]) {
      const runs = await finishedRuns(c, c === never ? 1 : 2, 5000);
      expect(runs[runs.length - 1]).toMatchObject({ status: SyncStatus.SUCCEEDED, syncType: SyncType.INCREMENTAL });
    }
    expect((await runsOf(fresh)).map((r) => r.id)).toEqual([freshRun.id]);
    const deletedRuns = await withPgClient(p.svc.database.url, (pg) => pg.query('select count(*)::int as n from address_sync_log where exchange_account_id = $1', [deleted.accountId]));
    expect(deletedRuns.rows[0]!.n).toBe(0);
    expect(await metric(p, /^wallet_sync_jobs_enqueued_total\{(?=.*exchange="binance")(?=.*trigger="periodic")(?=.*result="queued")/)).toBeGreaterThanOrEqual(2);
  });
});
