import type { EntityManager } from "@mikro-orm/core";
import type { EntityManager as SqlEntityManager } from "@mikro-orm/postgresql";
import type { AccountExchange } from "../accounts/account-exchange.js";
import type { ExchangeAccount } from "../accounts/exchange-account.entity.js";
import { ExchangeAccountSchema } from "../accounts/exchange-account.entity.js";
import { recordAddressEvent } from "../addresses/address-activity.js";
import { recordFetched } from "../addresses/address-recorder.js";
import type { AddressChecker } from "../addresses/address-check.js";
import type { Route } from "../addresses/address-route.js";
import { DepositAddressSchema } from "../addresses/deposit-address.entity.js";
import { DepositAddressRepository } from "../addresses/deposit-address.repository.js";
import type { AddressView } from "../addresses/deposit-address.view.js";
import type { AdvisoryLocks } from "../db/advisory-locks.js";
import { isUniqueViolation } from "../db/database-errors.js";
import { DomainError } from "../errors.js";
import type { CurrencyInfo, ExchangeAddress, ExchangeClient, NetworkInfo } from "../exchange/exchange-client.js";
import type { Actor } from "../identity/caller.js";
import type { Logger } from "../logger.js";
import { type Page, pageOf, type PageRequest } from "../pagination.js";
import { Violations } from "../validation.js";
import { EventChannel } from "./event-channel.js";
import type { SyncMetrics } from "./sync-metrics.js";
import { type SyncFailureRecord, type SyncRun, SyncRunSchema } from "./sync-run.entity.js";
import type { SyncState, SyncType } from "./sync-state.js";

/** What became of one currency/network. */
export type SyncItemOutcome = "added" | "updated" | "unchanged" | "failed" | "not_provisioned";

export interface SyncItem {
  readonly currency: string;
  readonly network: string;
  readonly outcome: SyncItemOutcome;
  readonly reason?: string;
  readonly message?: string;
  readonly address?: AddressView;
}

/** The messages of a sync's progress stream. */
export type SyncEvent =
  | { readonly kind: "started"; readonly runId: string; readonly total: number; readonly syncType: SyncType }
  | { readonly kind: "progress"; readonly item: SyncItem; readonly done: number; readonly total: number }
  | { readonly kind: "completed"; readonly run: SyncRun };

/** A started sync: its events for whoever listens, and its end, which comes whether anyone listens or not. */
export interface SyncSession {
  readonly runId: string;
  readonly events: AsyncIterable<SyncEvent>;
  readonly done: Promise<SyncRun>;
}

/** One exchange call's worth of work: a currency and the networks to read. */
interface Unit {
  readonly currency: CurrencyInfo;
  readonly networks: readonly NetworkInfo[];
}

interface Plan {
  readonly units: Unit[];
  /** Live addresses whose currency or network the exchange no longer lists. */
  readonly gone: string[];
}

const MAX_FAILURE_DETAILS = 500;

/**
 * Syncs an account's deposit addresses with its exchange: plans the
 * currency/network pairs, reads them concurrently (the exchange layer's rate
 * limiter sets the pace, so a sync takes what the limit allows), stores each
 * answer in a statement of its own (a failure later loses nothing already
 * written), streams progress, and logs the run. One sync per account at a
 * time, across replicas (an advisory lock per account).
 */
export class AddressSyncService {
  constructor(
    private readonly em: EntityManager,
    private readonly access: AccountExchange,
    private readonly locks: AdvisoryLocks,
    private readonly metrics: SyncMetrics,
    private readonly logger: Logger,
    private readonly concurrencyOf: (exchangeId: string) => number,
    private readonly checker: AddressChecker,
  ) {}

  /** Starts a sync of the caller's account; SYNC_IN_PROGRESS when one runs already. */
  async start(actor: Actor, accountId: string, type: SyncType, currencies: readonly string[]): Promise<SyncSession> {
    const codes = checkRequest(type, currencies);
    const { account, client } = await this.access.open(actor.userId, accountId);
    if (type === "single_currency") {
      const listed = new Set((await client.currencies()).map((c) => c.code));
      const unknown = codes.filter((c) => !listed.has(c));
      if (unknown.length > 0) {
        throw new DomainError("invalid_argument", "CURRENCY_NOT_SUPPORTED", `${account.exchangeId} does not list ${unknown.join(", ")}`, {
          metadata: { exchange: account.exchangeId, currency: unknown.join(",") },
          violations: [{ field: "currencies", description: `not listed by ${account.exchangeId}: ${unknown.join(", ")}` }],
        });
      }
    }
    const lock = await this.locks.tryAcquire(syncLockKey(account.id));
    if (!lock) {
      throw new DomainError("aborted", "SYNC_IN_PROGRESS", `a sync of exchange account ${accountId} is running; wait for it to finish`, {
        metadata: { exchangeAccountId: accountId },
        retryAfterMs: 5000,
      });
    }
    let run: SyncRun;
    try {
      const em = this.em.fork();
      run = em.create(SyncRunSchema, { exchangeAccount: account.id, userId: account.userId, syncType: type, status: "running", currenciesSynced: [] });
      await em.flush();
      await em.nativeUpdate(ExchangeAccountSchema, { id: account.id }, { syncStatus: "running" });
    } catch (err) {
      await lock.release();
      throw err;
    }
    const channel = new EventChannel<SyncEvent>();
    // However the run ends, the stream ends too: with the completion, or with the error that stopped
    // the run from being recorded (the database gone, say) — never left hanging.
    const done = this.execute(actor, account, client, run, codes, channel)
      .then(
        (finished) => (channel.close(), finished),
        (err: unknown) => {
          this.logger.error({ err, accountId: account.id, runId: run.id }, "sync run could not be recorded");
          channel.fail(err);
          throw err;
        },
      )
      .finally(() => lock.release());
    done.catch(() => undefined); // execute() logs its own failures; a caller may not await `done`
    return { runId: run.id, events: channel, done };
  }

  /** A sync on behalf of the service (the job queue): the account's owner is the actor, with no address. */
  async startForAccount(accountId: string, type: SyncType): Promise<SyncSession> {
    const owner = await this.em.fork().findOne(ExchangeAccountSchema, { id: accountId, deletedAt: null });
    if (!owner) throw new DomainError("not_found", "EXCHANGE_ACCOUNT_NOT_FOUND", `exchange account ${accountId} not found`);
    return this.start({ userId: owner.userId, userAgent: "wallet-sync-job" }, accountId, type, []);
  }

  /**
   * Closes runs a crash left RUNNING: those whose account lock nobody holds
   * (a run in progress on another replica keeps its lock, and its state).
   */
  async recoverInterrupted(): Promise<number> {
    const em = this.em.fork();
    const running = await em.find(SyncRunSchema, { status: "running" });
    let closed = 0;
    for (const run of running) {
      const lock = await this.locks.tryAcquire(syncLockKey(run.exchangeAccount.id));
      if (!lock) continue;
      try {
        const failure: SyncFailureRecord = { currency: "", reason: "SYNC_INTERRUPTED", message: "the service stopped during the sync" };
        await em.nativeUpdate(SyncRunSchema, { id: run.id }, { status: "failed", completedAt: new Date(), errorDetails: [...(run.errorDetails ?? []), failure] });
        await em.nativeUpdate(ExchangeAccountSchema, { id: run.exchangeAccount.id, syncStatus: "running" }, { syncStatus: "failed", errorMessage: failure.message });
        closed++;
      } finally {
        await lock.release();
      }
    }
    if (closed > 0) this.logger.warn({ runs: closed }, "closed sync runs left running by a stopped service");
    return closed;
  }

  /** The caller's account's runs, newest first. */
  async listRuns(userId: string, accountId: string, page: PageRequest): Promise<Page<SyncRun>> {
    await this.access.account(userId, accountId);
    const where: Record<string, unknown> = { exchangeAccount: accountId };
    if (page.after) where.$or = [{ createdAt: { $lt: page.after.createdAt } }, { createdAt: page.after.createdAt, id: { $lt: page.after.id } }];
    const rows = await this.em.fork().find(SyncRunSchema, where, { orderBy: { createdAt: "desc", id: "desc" }, limit: page.pageSize + 1 });
    return pageOf(rows, page);
  }

  /** Runs a started sync to its end; whatever goes wrong, the run is closed, never left RUNNING. */
  private async execute(actor: Actor, account: ExchangeAccount, client: ExchangeClient, run: SyncRun, codes: string[], channel: EventChannel<SyncEvent>): Promise<SyncRun> {
    const started = Date.now();
    const counts = { added: 0, updated: 0, unchanged: 0, failed: 0, not_provisioned: 0, removed: 0 };
    const failures: SyncFailureRecord[] = [];
    try {
      return await this.runPlan(actor, account, client, run, codes, channel, started, counts, failures);
    } catch (err) {
      this.logger.error({ err, accountId: account.id, runId: run.id }, "sync failed unexpectedly");
      failures.push({ currency: "", reason: "INTERNAL", message: "the sync stopped on an unexpected error" });
      return this.finish(account, run, started, counts, failures, channel, 0);
    }
  }

  private async runPlan(
    actor: Actor,
    account: ExchangeAccount,
    client: ExchangeClient,
    run: SyncRun,
    codes: string[],
    channel: EventChannel<SyncEvent>,
    started: number,
    counts: Record<SyncItemOutcome | "removed", number>,
    failures: SyncFailureRecord[],
  ): Promise<SyncRun> {
    let plan: Plan;
    try {
      plan = await this.plan(account, client, run.syncType, codes);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      failures.push({ currency: "", reason: err.reason, message: err.message });
      channel.push({ kind: "started", runId: run.id, total: 0, syncType: run.syncType });
      return this.finish(account, run, started, counts, failures, channel, 0);
    }
    const total = plan.units.reduce((n, u) => n + u.networks.length, 0);
    run.currenciesSynced = [...new Set(plan.units.map((u) => u.currency.code))];
    channel.push({ kind: "started", runId: run.id, total, syncType: run.syncType });
    let done = 0;
    let lastSaved = Date.now();
    const report = async (item: SyncItem) => {
      counts[item.outcome]++;
      done++;
      if (item.outcome === "failed" && failures.length < MAX_FAILURE_DETAILS) {
        failures.push({ currency: item.currency, network: item.network, reason: item.reason!, message: item.message! });
      }
      this.metrics.items.inc({ exchange: account.exchangeId, outcome: item.outcome });
      channel.push({ kind: "progress", item, done, total });
      if (Date.now() - lastSaved > 1000) {
        lastSaved = Date.now();
        await this.saveCounts(run, counts, failures);
      }
    };
    const queue = [...plan.units];
    const worker = async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        for (const item of await this.syncUnit(actor, account, client, unit)) await report(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrencyOf(account.exchangeId), Math.max(1, queue.length)) }, worker));
    counts.removed = await this.deactivateGone(actor, plan.gone);
    return this.finish(account, run, started, counts, failures, channel, total);
  }

  /** The currency/network pairs a sync covers. */
  private async plan(account: ExchangeAccount, client: ExchangeClient, type: SyncType, codes: string[]): Promise<Plan> {
    const listed = await client.currencies({ fresh: true });
    const byCode = new Map(listed.map((c) => [c.code, c]));
    const stored = await new DepositAddressRepository(this.em.fork() as SqlEntityManager).liveOfAccount(account.id);
    let wanted: Map<string, Set<string> | "all">;
    if (type === "single_currency") {
      wanted = new Map(codes.map((c) => [c, "all" as const]));
    } else if (type === "full") {
      wanted = new Map(listed.filter((c) => c.depositEnabled).map((c) => [c.code, "all" as const]));
    } else {
      // Incremental: what we hold, plus currencies new since the last finished run.
      wanted = new Map();
      for (const a of stored) {
        const nets = wanted.get(a.currency);
        if (nets === undefined) wanted.set(a.currency, new Set([a.network]));
        else if (nets !== "all") nets.add(a.network);
      }
      const last = await this.em.fork().findOne(
        SyncRunSchema,
        { exchangeAccount: account.id, status: { $in: ["succeeded", "partial"] } },
        { orderBy: { createdAt: "desc" } },
      );
      const known = last ? new Set(last.currenciesSynced ?? []) : undefined;
      for (const c of listed) if (c.depositEnabled && (!known || !known.has(c.code))) wanted.set(c.code, "all");
    }
    const units: Unit[] = [];
    const resolved = new Map<string, CurrencyInfo>();
    for (const [code, nets] of wanted) {
      if (!byCode.has(code)) continue; // delisted since: a full sync counts its addresses as gone
      let full: CurrencyInfo | undefined = byCode.get(code)!;
      if (full.networks.length === 0) {
        try {
          full = await client.currency(code); // Kraken: its deposit methods are its networks
        } catch (err) {
          // A currency with no deposit method (or none the exchange will tell) has nothing to sync.
          if (!(err instanceof DomainError) || type === "single_currency") throw err;
          this.logger.debug({ accountId: account.id, currency: code, reason: err.reason }, "currency skipped: no deposit networks");
          continue;
        }
      }
      if (!full) continue;
      resolved.set(code, full);
      const networks = full.networks.filter((n) => n.depositEnabled && (nets === "all" || nets.has(n.network)));
      if (networks.length > 0) units.push({ currency: full, networks });
    }
    // Full syncs notice addresses whose currency or network the exchange no longer lists at all.
    const gone =
      type === "full"
        ? stored.filter((a) => !byCode.has(a.currency) || (resolved.has(a.currency) && !resolved.get(a.currency)!.networks.some((n) => n.network === a.network))).map((a) => a.id)
        : [];
    return { units, gone };
  }

  /** Reads one currency's networks from the exchange and records each answer. */
  private async syncUnit(actor: Actor, account: ExchangeAccount, client: ExchangeClient, unit: Unit): Promise<SyncItem[]> {
    const code = unit.currency.code;
    const caps = client.capabilities;
    let found: Map<string, ExchangeAddress | null>;
    if (!caps.fetchDepositAddress && !caps.fetchDepositAddressesByNetwork) {
      // Create-only exchanges (Coinbase) cannot read what exists: report what we hold, unverified.
      const repo = new DepositAddressRepository(this.em.fork() as SqlEntityManager);
      const items: SyncItem[] = [];
      for (const n of unit.networks) {
        const held = await repo.routeView(account.id, code, n.network);
        items.push(held ? { currency: code, network: n.network, outcome: "unchanged", address: held } : { currency: code, network: n.network, outcome: "not_provisioned" });
      }
      return items;
    }
    try {
      found = await client.fetchAddresses(unit.currency, unit.networks);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return unit.networks.map((n) => ({ currency: code, network: n.network, outcome: "failed", reason: err.reason, message: err.message }));
    }
    const items: SyncItem[] = [];
    for (const network of unit.networks) {
      const fetched = found.get(network.network);
      if (!fetched) {
        items.push({ currency: code, network: network.network, outcome: "not_provisioned" });
        continue;
      }
      try {
        items.push(await this.store(actor, account, { currency: unit.currency, network }, fetched));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        items.push({ currency: code, network: network.network, outcome: "failed", reason: err.reason, message: err.message });
      }
    }
    return items;
  }

  /** Records one answer, in one statement: what is written stays written, whatever fails later. */
  private async store(actor: Actor, account: ExchangeAccount, route: Route, fetched: ExchangeAddress, retried = false): Promise<SyncItem> {
    const checked = this.checker.check(fetched, route, account);
    const repo = new DepositAddressRepository(this.em.fork() as SqlEntityManager);
    const held = await repo.routeView(account.id, route.currency.code, route.network.network);
    try {
      const { address, outcome } = await recordFetched(repo, account, held, checked, route, actor);
      return { currency: route.currency.code, network: route.network.network, outcome, address };
    } catch (err) {
      // A CreateDepositAddress stored the same route meanwhile: record against it.
      if (isUniqueViolation(err) && !retried) return this.store(actor, account, route, fetched, true);
      throw err;
    }
  }

  private async deactivateGone(actor: Actor, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const em = this.em.fork();
    let count = 0;
    for (const address of await em.find(DepositAddressSchema, { id: { $in: ids }, deletedAt: null, isActive: true })) {
      address.isActive = false;
      recordAddressEvent(em, address, actor, "updated", { is_active: true }, { is_active: false, reason: "the exchange no longer lists this currency or network" });
      count++;
    }
    await em.flush();
    return count;
  }

  private async saveCounts(run: SyncRun, counts: Record<SyncItemOutcome | "removed", number>, failures: SyncFailureRecord[]): Promise<void> {
    await this.em.fork().nativeUpdate(SyncRunSchema, { id: run.id }, {
      addressesAdded: counts.added,
      addressesUpdated: counts.updated,
      addressesUnchanged: counts.unchanged,
      addressesFailed: counts.failed,
      currenciesSynced: run.currenciesSynced,
      errorDetails: failures,
    });
  }

  private async finish(
    account: ExchangeAccount,
    run: SyncRun,
    started: number,
    counts: Record<SyncItemOutcome | "removed", number>,
    failures: SyncFailureRecord[],
    channel: EventChannel<SyncEvent>,
    total: number,
  ): Promise<SyncRun> {
    const ok = total - counts.failed;
    const status: SyncState = failures.length === 0 ? "succeeded" : ok > 0 && total > 0 ? "partial" : "failed";
    const now = new Date();
    const em = this.em.fork();
    const saved = await em.findOneOrFail(SyncRunSchema, { id: run.id });
    Object.assign(saved, {
      status,
      currenciesSynced: run.currenciesSynced,
      addressesAdded: counts.added,
      addressesUpdated: counts.updated,
      addressesUnchanged: counts.unchanged,
      addressesFailed: counts.failed,
      addressesRemoved: counts.removed,
      errorDetails: failures.length > 0 ? failures : null,
      syncDurationMs: now.getTime() - started,
      completedAt: now,
    });
    const first = failures[0];
    await em.nativeUpdate(ExchangeAccountSchema, { id: account.id }, {
      syncStatus: status,
      lastSyncAt: now,
      errorMessage: !first ? null : counts.failed > 0 ? `${counts.failed} of ${total} failed; first: ${first.currency} ${first.network ?? ""}: ${first.message}` : `sync failed: ${first.message}`,
    });
    await em.flush();
    const seconds = (now.getTime() - started) / 1000;
    this.metrics.runs.inc({ exchange: account.exchangeId, type: run.syncType, status });
    this.metrics.duration.observe({ exchange: account.exchangeId, type: run.syncType }, seconds);
    this.logger.info({ accountId: account.id, runId: run.id, exchange: account.exchangeId, status, total, ...counts, durationMs: now.getTime() - started }, "sync finished");
    channel.push({ kind: "completed", run: saved });
    return saved;
  }
}

/** One sync per account: the key of its advisory lock. */
function syncLockKey(accountId: string): string {
  return `sync:${accountId}`;
}

/** Checks a sync request; answers the currency codes, upper-cased. */
function checkRequest(type: SyncType, currencies: readonly string[]): string[] {
  const v = new Violations();
  const codes = [...new Set(currencies.map((c) => c.trim().toUpperCase()))];
  if (type === "single_currency" && (codes.length === 0 || codes.length > 100)) v.add("currencies", "SYNC_TYPE_SINGLE_CURRENCY needs 1 to 100 currencies");
  if (type !== "single_currency" && codes.length > 0) v.add("currencies", "only SYNC_TYPE_SINGLE_CURRENCY takes currencies");
  codes.forEach((c) => {
    if (!/^[A-Z0-9.]{1,20}$/.test(c)) v.add("currencies", `"${c.slice(0, 20)}" is not a currency code`);
  });
  v.throwIfAny();
  return codes;
}
