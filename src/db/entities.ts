import { ExchangeAccountSchema } from "../accounts/exchange-account.entity.js";
import { AddressEventSchema } from "../addresses/address-event.entity.js";
import { DepositAddressSchema } from "../addresses/deposit-address.entity.js";
import { SupportedExchangeSchema } from "../exchanges/supported-exchange.entity.js";
import { SyncRunSchema } from "../sync/sync-run.entity.js";
import { ServerKeySchema } from "./server-keys.js";

/** Every entity of the service, for the ORM and the migration generator. */
export const ENTITIES = [SupportedExchangeSchema, ExchangeAccountSchema, DepositAddressSchema, AddressEventSchema, SyncRunSchema, ServerKeySchema];
