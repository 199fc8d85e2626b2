import type { ServiceImpl } from "@connectrpc/connect";
import type { DepositAddressService, NewDepositAddress } from "../addresses/deposit-address.service.js";
import { DomainError } from "../errors.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { PageTokens } from "../pagination.js";
import { Violations } from "../validation.js";
import type { CreateDepositAddressRequest, WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { addressEventToProto, depositAddressToProto, detailOf } from "./address-mappers.js";
import { actorOf, callerOf } from "./context.js";
import { statusOf } from "./errors.js";
import { maskPaths } from "./field-mask.js";

type AddressRpcs = Pick<
  ServiceImpl<typeof WalletService>,
  | "createDepositAddress"
  | "batchCreateDepositAddresses"
  | "listDepositAddresses"
  | "listDepositAddressesByCurrency"
  | "getDepositAddress"
  | "updateDepositAddress"
  | "deleteDepositAddress"
  | "refreshDepositAddress"
  | "listAddressActivity"
>;

const UPDATABLE = ["label", "description", "user_metadata", "is_active"] as const;

/** The deposit-address RPCs: proto in, domain call, proto out. */
export function depositAddressHandlers(addresses: DepositAddressService, catalogue: ExchangeCatalogue, pageTokens: PageTokens): AddressRpcs {
  return {
    async createDepositAddress(req, ctx) {
      const { address, createdOnExchange } = await addresses.create(actorOf(ctx), newAddress(req));
      return { depositAddress: depositAddressToProto(address), createdOnExchange };
    },

    async batchCreateDepositAddresses(req, ctx) {
      const results = await addresses.batchCreate(actorOf(ctx), req.exchangeAccountId, req.requests.map(newAddress));
      return {
        results: results.map((r) =>
          r instanceof DomainError
            ? { result: { case: "error" as const, value: statusOf(r) } }
            : { result: { case: "depositAddress" as const, value: depositAddressToProto(r) } },
        ),
      };
    },

    async listDepositAddresses(req, ctx) {
      const v = new Violations().optionalUuid("exchange_account_id", req.exchangeAccountId);
      if (req.exchangeId && !catalogue.get(req.exchangeId)) v.add("exchange_id", "is not a supported exchange");
      v.throwIfAny();
      const filters = {
        userId: callerOf(ctx).userId,
        exchangeAccountId: req.exchangeAccountId.toLowerCase() || undefined,
        exchangeId: req.exchangeId || undefined,
        currency: req.currency.toUpperCase() || undefined,
        network: req.network.toUpperCase() || undefined,
        showDeleted: req.showDeleted,
      };
      const detail = detailOf(req.view, "basic");
      const page = await addresses.list(filters, pageTokens.request(req.pageSize, req.pageToken, `addresses:${JSON.stringify(filters)}`), detail);
      return { depositAddresses: page.items.map(depositAddressToProto), nextPageToken: page.nextPageToken };
    },

    async listDepositAddressesByCurrency(req, ctx) {
      const currency = req.currency.trim().toUpperCase();
      if (!currency) new Violations().add("currency", "required").throwIfAny();
      const filters = { userId: callerOf(ctx).userId, currency, showDeleted: req.showDeleted };
      const detail = detailOf(req.view, "basic");
      const page = await addresses.list(filters, pageTokens.request(req.pageSize, req.pageToken, `addresses-by-currency:${JSON.stringify(filters)}`), detail);
      return { depositAddresses: page.items.map(depositAddressToProto), nextPageToken: page.nextPageToken };
    },

    async getDepositAddress(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      const address = await addresses.get(callerOf(ctx).userId, req.id, detailOf(req.view, "full"));
      return { depositAddress: depositAddressToProto(address) };
    },

    async updateDepositAddress(req, ctx) {
      const input = req.depositAddress;
      new Violations().uuid("deposit_address.id", input?.id ?? "").throwIfAny();
      const paths = maskPaths(req.updateMask, UPDATABLE);
      const address = await addresses.update(actorOf(ctx), input!.id, {
        label: paths.has("label") ? input!.label : undefined,
        description: paths.has("description") ? input!.description : undefined,
        userMetadata: paths.has("user_metadata") ? input!.userMetadata : undefined,
        isActive: paths.has("is_active") ? input!.isActive : undefined,
      });
      return { depositAddress: depositAddressToProto(address) };
    },

    async deleteDepositAddress(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      return { depositAddress: depositAddressToProto(await addresses.delete(actorOf(ctx), req.id)) };
    },

    async refreshDepositAddress(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      const result = await addresses.refresh(actorOf(ctx), req.id);
      return {
        depositAddress: depositAddressToProto(result.address),
        changed: result.changed,
        previousAddress: result.previous?.address ?? "",
        previousTag: result.previous?.tag ?? "",
      };
    },

    async listAddressActivity(req, ctx) {
      new Violations().uuid("deposit_address_id", req.depositAddressId).throwIfAny();
      const page = await addresses.activity(callerOf(ctx).userId, req.depositAddressId, pageTokens.request(req.pageSize, req.pageToken, `activity:${req.depositAddressId}`));
      return { events: page.items.map(addressEventToProto), nextPageToken: page.nextPageToken };
    },
  };
}

function newAddress(req: CreateDepositAddressRequest): NewDepositAddress {
  return {
    exchangeAccountId: req.exchangeAccountId.toLowerCase(),
    currency: req.currency,
    network: req.network,
    label: req.label,
    description: req.description,
    userMetadata: req.userMetadata,
    requestId: req.requestId,
  };
}
