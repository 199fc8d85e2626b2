import type { ConnectRouter } from "@connectrpc/connect";
import type { AccountExchange } from "../accounts/account-exchange.js";
import type { SyncAdminService } from "../admin/sync-admin.service.js";
import type { DepositAddressService } from "../addresses/deposit-address.service.js";
import type { AddressSyncService } from "../sync/address-sync.service.js";
import type { ExchangeAccountService } from "../accounts/exchange-account.service.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { HealthMonitor } from "../health-monitor.js";
import type { PageTokens } from "../pagination.js";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AdminService } from "../../gen/wallet/v1/admin_service_pb.js";
import { WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { adminHandlers } from "./admin.handlers.js";
import { catalogueHandlers } from "./catalogue.handlers.js";
import { depositAddressHandlers } from "./deposit-address.handlers.js";
import { exchangeAccessHandlers } from "./exchange-access.handlers.js";
import { exchangeAccountHandlers } from "./exchange-account.handlers.js";
import { healthService } from "./health.service.js";
import { reflectionServices } from "./reflection.service.js";
import { type ServiceRoute, serviceRoute } from "./unary-handler.js";
import { syncHandlers } from "./sync.handlers.js";

/** What the RPC layer needs from the domain. */
export interface RouteDeps {
  readonly accounts: ExchangeAccountService;
  readonly access: AccountExchange;
  readonly addresses: DepositAddressService;
  readonly sync: AddressSyncService;
  readonly catalogue: ExchangeCatalogue;
  readonly health: HealthMonitor;
  readonly admin: SyncAdminService;
  readonly pageTokens: PageTokens;
}

/**
 * Every service on the port with its implementation. RPCs without a handler
 * yet answer UNIMPLEMENTED (Connect's default for a partial implementation).
 */
export function serviceRoutes(deps: RouteDeps): ServiceRoute[] {
  const reflection = reflectionServices([WalletService, AdminService, Health], [file_google_rpc_error_details]);
  return [
    serviceRoute(WalletService, {
      ...exchangeAccountHandlers(deps.accounts, deps.pageTokens),
      ...catalogueHandlers(deps.catalogue, deps.pageTokens),
      ...exchangeAccessHandlers(deps.access, deps.catalogue, deps.pageTokens),
      ...depositAddressHandlers(deps.addresses, deps.catalogue, deps.pageTokens),
      ...syncHandlers(deps.sync, deps.pageTokens),
    }),
    serviceRoute(AdminService, adminHandlers(deps.accounts, deps.catalogue, deps.admin, deps.pageTokens)),
    serviceRoute(Health, healthService(deps.health, [WalletService.typeName, AdminService.typeName])),
    serviceRoute(ReflectionV1, reflection.v1),
    serviceRoute(ReflectionV1alpha, reflection.v1alpha),
  ];
}

/** The routes for Connect's router. */
export function routes(services: readonly ServiceRoute[]) {
  return (router: ConnectRouter) => {
    for (const { service, impl } of services) router.service(service, impl);
  };
}
