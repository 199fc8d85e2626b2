import type { ServiceImpl } from "@connectrpc/connect";
import type { AddressSyncService } from "../sync/address-sync.service.js";
import type { PageTokens } from "../pagination.js";
import { Violations } from "../validation.js";
import type { SyncDepositAddressesResponse, WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { depositAddressToProto } from "./address-mappers.js";
import { actorOf, callerOf } from "./context.js";
import { OUTCOME_OF, syncRunToProto, syncTypeFromProto, syncTypeToProto } from "./sync-mappers.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SyncDepositAddressesResponseSchema } from "../../gen/wallet/v1/wallet_service_pb.js";

type SyncRpcs = Pick<ServiceImpl<typeof WalletService>, "syncDepositAddresses" | "listSyncRuns">;
type Message = MessageInitShape<typeof SyncDepositAddressesResponseSchema> | SyncDepositAddressesResponse;

/** Sync RPCs: the progress stream, and the log of runs. */
export function syncHandlers(sync: AddressSyncService, pageTokens: PageTokens): SyncRpcs {
  return {
    async *syncDepositAddresses(req, ctx): AsyncGenerator<Message> {
      new Violations().uuid("exchange_account_id", req.exchangeAccountId).throwIfAny();
      const session = await sync.start(actorOf(ctx), req.exchangeAccountId.toLowerCase(), syncTypeFromProto(req.syncType), req.currencies);
      // A client that goes away stops the stream, not the sync: it runs to its end and is logged.
      for await (const event of session.events) {
        if (event.kind === "started") {
          yield { event: { case: "started", value: { syncRunId: event.runId, total: event.total, syncType: syncTypeToProto(event.syncType) } } };
        } else if (event.kind === "progress") {
          const { item } = event;
          yield {
            event: {
              case: "progress",
              value: {
                currency: item.currency,
                network: item.network,
                outcome: OUTCOME_OF[item.outcome],
                errorReason: item.reason ?? "",
                errorMessage: item.message ?? "",
                done: event.done,
                total: event.total,
                depositAddress: item.address ? depositAddressToProto(item.address) : undefined,
              },
            },
          };
        } else {
          yield { event: { case: "completed", value: { syncRun: syncRunToProto(event.run) } } };
        }
      }
    },

    async listSyncRuns(req, ctx) {
      new Violations().uuid("exchange_account_id", req.exchangeAccountId).throwIfAny();
      const page = await sync.listRuns(callerOf(ctx).userId, req.exchangeAccountId.toLowerCase(), pageTokens.request(req.pageSize, req.pageToken, `sync-runs:${req.exchangeAccountId}`));
      return { syncRuns: page.items.map(syncRunToProto), nextPageToken: page.nextPageToken };
    },
  };
}
