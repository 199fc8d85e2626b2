import type { EntityManager } from "@mikro-orm/core";
import { DomainError, ValidationError } from "../errors.js";
import { type SupportedExchange, SupportedExchangeSchema } from "./supported-exchange.entity.js";

/**
 * The supported_exchanges table, read once at start-up: eight rows that every
 * account and address call consults, not worth a query each time.
 */
export class ExchangeCatalogue {
  private constructor(private readonly rows: ReadonlyMap<string, SupportedExchange>) {}

  static async load(em: EntityManager): Promise<ExchangeCatalogue> {
    const rows = await em.find(SupportedExchangeSchema, {}, { orderBy: { id: "asc" } });
    return new ExchangeCatalogue(new Map(rows.map((row) => [row.id, row])));
  }

  list(): SupportedExchange[] {
    return [...this.rows.values()];
  }

  get(id: string): SupportedExchange | undefined {
    return this.rows.get(id);
  }

  /** The exchange a request names in `field`, or INVALID_ARGUMENT naming that field. */
  require(id: string, field: string): SupportedExchange {
    const row = this.rows.get(id);
    if (!id) throw new ValidationError([{ field, description: "required" }]);
    if (!row) {
      throw new ValidationError([{ field, description: `must be one of ${[...this.rows.keys()].join(", ")}` }]);
    }
    return row;
  }

  /** Like require, for an exchange new accounts may be added to. */
  requireActive(id: string, field: string): SupportedExchange {
    const row = this.require(id, field);
    if (!row.isActive) {
      throw new DomainError("failed_precondition", "EXCHANGE_NOT_SUPPORTED", `exchange ${id} is not accepting new accounts`, {
        metadata: { exchange: id },
      });
    }
    return row;
  }
}
