import type { Logger } from "./logger.js";

/** A dependency check: resolves when the dependency answers, throws when it does not. */
export type Probe = () => Promise<void>;

/**
 * Whether the service can do its work: every probe (database, credential
 * store) passing, and not shutting down. Probes run on an interval, so health
 * checks cost nothing; listeners hear every change (gRPC Health Watch).
 */
export class HealthMonitor {
  private healthy = false;
  private stopping = false;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  private readonly failing = new Set<string>();

  constructor(
    private readonly probes: Readonly<Record<string, Probe>>,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; timeoutMs: number } = { intervalMs: 2000, timeoutMs: 2000 },
  ) {}

  get serving(): boolean {
    return this.healthy && !this.stopping;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Runs the probes once now, then on every interval. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Runs every probe now and updates the status. */
  async check(): Promise<boolean> {
    const results = await Promise.all(
      Object.entries(this.probes).map(async ([name, probe]) => [name, await this.passes(name, probe)] as const),
    );
    this.set(results.every(([, ok]) => ok));
    return this.healthy;
  }

  /** NOT_SERVING from now on, whatever the probes say: the server is draining. */
  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopping = true;
    this.notify(); // also when already NOT_SERVING: Watch streams must hear it and end
  }

  /** Calls `listener` on every change of `serving`; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async passes(name: string, probe: Probe): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
        }),
      ]);
      if (this.failing.delete(name)) this.logger.info({ dependency: name }, "dependency recovered");
      return true;
    } catch (err) {
      if (!this.failing.has(name)) {
        this.failing.add(name);
        this.logger.warn({ dependency: name, err }, "dependency unavailable");
      }
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private set(healthy: boolean): void {
    const was = this.serving;
    this.healthy = healthy;
    if (was !== this.serving) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
