import { DIALECTS } from './dialects.js';
import { SimExchange } from './sim-exchange.js';
import { EXCHANGE_IDS } from './types.js';
import type { ExchangeId } from './types.js';

/** Options of `startSimulator`. */
export interface SimulatorOptions {
  /** Which exchanges to start; all eight by default. */
  exchanges?: readonly ExchangeId[];
  host?: string;
  /** Port of the first exchange in `EXCHANGE_IDS` order (others follow); 0 = random ports. */
  portBase?: number;
}

/** A running set of simulated exchanges. */
export interface Simulator {
  /** Base URL of one exchange, e.g. `http://127.0.0.1:18000`. */
  url(id: ExchangeId): string;
  /** The JSON map for `WALLET_EXCHANGE_URL_OVERRIDES`. */
  urlOverrides(): Partial<Record<ExchangeId, string>>;
  /** Control and inspection of one exchange. */
  exchange(id: ExchangeId): SimExchange;
  /** Started exchange ids. */
  readonly exchanges: readonly ExchangeId[];
  close(): Promise<void>;
}

/**
 * Starts one HTTP server per exchange so that an unmodified CCXT, pointed there with
 * `applyUrlOverride`, loads markets, signs, and fails exactly as against the real exchange.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const ids = options.exchanges ?? EXCHANGE_IDS;
  const host = options.host ?? '127.0.0.1';
  const portBase = options.portBase ?? 0;
  const started = new Map<ExchangeId, SimExchange>();
  try {
    for (const id of ids) {
      const sim = new SimExchange(id, DIALECTS[id]);
      await sim.start(host, portBase === 0 ? 0 : portBase + EXCHANGE_IDS.indexOf(id));
      started.set(id, sim);
    }
  } catch (error) {
    await Promise.all([...started.values()].map((sim) => sim.close()));
    throw error;
  }
  const get = (id: ExchangeId): SimExchange => {
    const sim = started.get(id);
    if (sim === undefined) throw new Error(`simulator for ${id} was not started`);
    return sim;
  };
  return {
    exchanges: [...started.keys()],
    url: (id) => get(id).url,
    urlOverrides: () => Object.fromEntries([...started].map(([id, sim]) => [id, sim.url])),
    exchange: get,
    close: async () => {
      await Promise.all([...started.values()].map((sim) => sim.close()));
    },
  };
}
