import { setTimeout as sleep } from 'node:timers/promises';
import { SimAccount } from './account.js';
import { Catalogue } from './catalogue.js';
import { json, SimError } from './dialect.js';
import type { Dialect, SimReply, SimRequest } from './dialect.js';
import { FaultQueue } from './faults.js';
import { listen } from './http-server.js';
import type { Listener, Outcome } from './http-server.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import type { ExchangeId, FaultSpec, RateLimitSpec, RequestLogEntry, SimAccountInit } from './types.js';

/**
 * One simulated exchange: an HTTP listener, its accounts and currencies, and the knobs tests turn
 * (latency, rate limit, faults). Every request goes through the same pipeline — rate limit, fault,
 * route, signature, permission, handler — and lands in `requests`.
 */
export class SimExchange {
  /** Every request seen, oldest first; cleared in place by `clearLog`. */
  readonly requests: RequestLogEntry[] = [];
  /** The exchange-wide currency list served by the public/currency endpoints. */
  readonly catalogue = new Catalogue();
  private readonly accounts = new Map<string, SimAccount>();
  private readonly faults = new FaultQueue();
  private limiter: SlidingWindowLimiter | null = null;
  private latencyMs = 0;
  private violations = 0;
  private listener: Listener | undefined;
  private host = '127.0.0.1';

  constructor(
    readonly id: ExchangeId,
    private readonly dialect: Dialect,
  ) {}

  /** Starts listening (port 0 = any free port). */
  async start(host: string, port: number): Promise<void> {
    this.listener = await listen(host, port, (req) => this.handle(req));
    this.host = host;
  }

  /** Base URL to give CCXT through `applyUrlOverride`. */
  get url(): string {
    if (this.listener === undefined) throw new Error(`${this.id} simulator is not started`);
    return `http://${this.host}:${this.listener.port}`;
  }

  /** Registers an API key; its currencies join the exchange's currency list. */
  addAccount(init: SimAccountInit): SimAccount {
    const account = new SimAccount(init);
    this.accounts.set(account.apiKey, account);
    this.catalogue.merge(account.currencies);
    return account;
  }

  /** The account of an API key; throws for an unknown key (a test mistake). */
  account(apiKey: string): SimAccount {
    const account = this.accounts.get(apiKey);
    if (account === undefined) throw new Error(`${this.id}: no account for key ${apiKey}`);
    return account;
  }

  /** Delay added before every answer. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Enforces a limit from now on (fresh windows), or none with `null`. */
  setRateLimit(spec: RateLimitSpec | null): void {
    this.limiter = spec === null ? null : new SlidingWindowLimiter(spec);
  }

  /** Makes matching requests fail; see `FaultSpec`. */
  injectFault(spec: FaultSpec): void {
    this.faults.inject(spec, Date.now());
  }

  /** Removes all injected faults. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Empties the request log (the array object stays the same). */
  clearLog(): void {
    this.requests.length = 0;
  }

  /** How many requests were refused for exceeding the rate limit since start. */
  rateLimitViolations(): number {
    return this.violations;
  }

  /** Stops listening and drops held connections. */
  async close(): Promise<void> {
    await this.listener?.close();
  }

  private async handle(req: SimRequest): Promise<Outcome> {
    const arrived = performance.now();
    const entry: RequestLogEntry = {
      time: req.now,
      method: req.method,
      path: req.path,
      query: Object.fromEntries(req.query),
      signed: false,
      status: 0,
    };
    if (req.body !== '') entry.body = req.body;
    const claimed = this.dialect.claimedKey(req);
    if (claimed !== undefined) entry.apiKey = claimed;
    this.requests.push(entry);
    const outcome = this.decide(req, entry, claimed);
    if (outcome === 'hold') return outcome;
    entry.status = outcome.status;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    entry.tookMs = performance.now() - arrived;
    return outcome;
  }

  private decide(req: SimRequest, entry: RequestLogEntry, claimed: string | undefined): Outcome {
    if (this.limiter !== null) {
      const byIp = this.limiter.spec.scope === 'ip' || claimed === undefined;
      const admission = this.limiter.admit(byIp ? `ip:${req.ip}` : `key:${claimed}`, req.now);
      if (!admission.ok) {
        this.violations += 1;
        entry.rateLimited = true;
        return this.rateLimited(admission.retryAfterMs);
      }
    }
    const hit = this.faults.take(req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`, req.now);
    if (hit !== undefined) {
      const fault = hit.kind;
      entry.fault = fault;
      if (fault === 'timeout') return 'hold';
      if (fault === 'reply') return customReply(hit.reply);
      return fault === 'rate_limit' ? this.rateLimited(1000) : this.dialect.error(fault);
    }
    const matched = this.dialect.match(req);
    if (matched === undefined) return this.dialect.error('not_found', `${req.method} ${req.path}`);
    let account: SimAccount | undefined;
    if (matched.route.signed) {
      entry.signed = true;
      const verdict = this.dialect.verify(req, (key) => this.accounts.get(key));
      entry.signatureValid = verdict.ok;
      if (!verdict.ok) return this.dialect.error('auth', verdict.failure);
      account = verdict.account;
      if (matched.route.open !== true && !account.permissions.read) return this.dialect.error('permission');
    }
    try {
      const peers = account === undefined ? [] : [...this.accounts.values()].filter((a) => a.uid === account.uid);
      return matched.route.handle({ req, account, peers, catalogue: this.catalogue, pathParams: matched.pathParams });
    } catch (error) {
      if (error instanceof SimError) return this.dialect.error(error.kind, error.message);
      throw error;
    }
  }

  private rateLimited(retryAfterMs: number): SimReply {
    const reply = this.dialect.error('rate_limit');
    return { ...reply, headers: { ...reply.headers, 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } };
  }
}

/** A 'reply' fault's answer: a string body as it is (HTML, text), anything else as JSON. */
function customReply(reply: FaultSpec['reply']): SimReply {
  if (reply === undefined) throw new Error("a 'reply' fault needs its reply");
  if (typeof reply.body === 'string') return { status: reply.status, body: reply.body, headers: { 'content-type': 'text/html' } };
  return json(reply.body, reply.status);
}
