import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/** The catalogue of exchanges the service supports (table supported_exchanges). */
export const SupportedExchangeSchema = defineEntity({
  name: "SupportedExchange",
  tableName: "supported_exchanges",
  properties: {
    id: p.string().length(50).primary(),
    name: p.string().length(100),
    ccxtId: p.string().length(50).unique(),
    websiteUrl: p.string().length(255).nullable(),
    apiDocUrl: p.string().length(255).nullable(),
    isActive: p.boolean().default(true),
    supportsDepositAddresses: p.boolean().default(true),
    rateLimitPerMinute: p.integer().default(60),
    requiresPassphrase: p.boolean().default(false),
    sandboxAvailable: p.boolean().default(false),
    supportedCurrencies: p.array().nullable(),
    metadata: p.json<Record<string, unknown>>().default("{}"),
    createdAt: p.datetime(3).defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type SupportedExchange = InferEntity<typeof SupportedExchangeSchema>;
