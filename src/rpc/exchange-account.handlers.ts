import type { ServiceImpl } from "@connectrpc/connect";
import type { Credentials, ExchangeAccountChanges, ExchangeAccountService } from "../accounts/exchange-account.service.js";
import type { PageTokens } from "../pagination.js";
import { Violations } from "../validation.js";
import type { ExchangeCredentials } from "../../gen/wallet/v1/exchange_account_pb.js";
import type { WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { actorOf, callerOf } from "./context.js";
import { maskPaths } from "./field-mask.js";
import { exchangeAccountToProto } from "./mappers.js";

type AccountRpcs = Pick<
  ServiceImpl<typeof WalletService>,
  "createExchangeAccount" | "listExchangeAccounts" | "getExchangeAccount" | "updateExchangeAccount" | "deleteExchangeAccount"
>;

const UPDATABLE = ["account_name", "sandbox_mode", "is_active", "metadata", "credentials"] as const;

/** The exchange-account RPCs: proto in, domain call, proto out. */
export function exchangeAccountHandlers(accounts: ExchangeAccountService, pageTokens: PageTokens): AccountRpcs {
  return {
    async createExchangeAccount(req, ctx) {
      const account = await accounts.create(actorOf(ctx), {
        exchangeId: req.exchangeId,
        accountName: req.accountName,
        credentials: credentialsOf(req.credentials),
        sandboxMode: req.sandboxMode,
        metadata: req.metadata,
        requestId: req.requestId,
      });
      return { exchangeAccount: exchangeAccountToProto(account) };
    },

    async listExchangeAccounts(req, ctx) {
      const userId = callerOf(ctx).userId;
      const page = await accounts.list({ userId, showDeleted: req.showDeleted }, pageTokens.request(req.pageSize, req.pageToken, `accounts:${userId}:${req.showDeleted}`));
      return { exchangeAccounts: page.items.map(exchangeAccountToProto), nextPageToken: page.nextPageToken };
    },

    async getExchangeAccount(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      return { exchangeAccount: exchangeAccountToProto(await accounts.get(callerOf(ctx).userId, req.id)) };
    },

    async updateExchangeAccount(req, ctx) {
      const input = req.exchangeAccount;
      new Violations().uuid("exchange_account.id", input?.id ?? "").throwIfAny();
      const paths = maskPaths(req.updateMask, UPDATABLE);
      const changes: ExchangeAccountChanges = {
        accountName: paths.has("account_name") ? input!.accountName : undefined,
        sandboxMode: paths.has("sandbox_mode") ? input!.sandboxMode : undefined,
        isActive: paths.has("is_active") ? input!.isActive : undefined,
        metadata: paths.has("metadata") ? input!.metadata : undefined,
        credentials: paths.has("credentials") ? (credentialsOf(input!.credentials) ?? emptyCredentials) : undefined,
      };
      const account = await accounts.update(actorOf(ctx), input!.id, changes);
      return { exchangeAccount: exchangeAccountToProto(account) };
    },

    async deleteExchangeAccount(req, ctx) {
      new Violations().uuid("id", req.id).throwIfAny();
      return { exchangeAccount: exchangeAccountToProto(await accounts.delete(actorOf(ctx), req.id)) };
    },
  };
}

const emptyCredentials: Credentials = { apiKey: "", apiSecret: "" };

function credentialsOf(pb: ExchangeCredentials | undefined): Credentials | undefined {
  if (!pb) return undefined;
  return { apiKey: pb.apiKey, apiSecret: pb.apiSecret, passphrase: pb.passphrase || undefined };
}
