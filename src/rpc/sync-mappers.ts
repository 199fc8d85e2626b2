import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ValidationError } from "../errors.js";
import type { SyncItemOutcome } from "../sync/address-sync.service.js";
import type { SyncRun } from "../sync/sync-run.entity.js";
import type { SyncType as SyncTypeName } from "../sync/sync-state.js";
import { type SyncRun as SyncRunPb, SyncRunSchema, SyncType } from "../../gen/wallet/v1/sync_pb.js";
import { SyncOutcome } from "../../gen/wallet/v1/wallet_service_pb.js";
import { syncStatusToProto } from "./mappers.js";

const TYPE_OF: Record<SyncTypeName, SyncType> = { full: SyncType.FULL, incremental: SyncType.INCREMENTAL, single_currency: SyncType.SINGLE_CURRENCY };

export function syncTypeToProto(type: SyncTypeName): SyncType {
  return TYPE_OF[type];
}

/** The stored sync type a request names; UNSPECIFIED means FULL. */
export function syncTypeFromProto(type: SyncType, field = "sync_type"): SyncTypeName {
  if (type === SyncType.UNSPECIFIED) return "full";
  const name = (Object.keys(TYPE_OF) as SyncTypeName[]).find((k) => TYPE_OF[k] === type);
  if (!name) throw new ValidationError([{ field, description: "must be SYNC_TYPE_FULL, SYNC_TYPE_INCREMENTAL or SYNC_TYPE_SINGLE_CURRENCY" }]);
  return name;
}

export const OUTCOME_OF: Record<SyncItemOutcome, SyncOutcome> = {
  added: SyncOutcome.ADDED,
  updated: SyncOutcome.UPDATED,
  unchanged: SyncOutcome.UNCHANGED,
  failed: SyncOutcome.FAILED,
  not_provisioned: SyncOutcome.NOT_PROVISIONED,
};

export function syncRunToProto(run: SyncRun): SyncRunPb {
  return create(SyncRunSchema, {
    id: run.id,
    exchangeAccountId: run.exchangeAccount.id,
    syncType: syncTypeToProto(run.syncType),
    currencies: run.currenciesSynced ?? [],
    addressesAdded: run.addressesAdded,
    addressesUpdated: run.addressesUpdated,
    addressesRemoved: run.addressesRemoved,
    addressesFailed: run.addressesFailed,
    addressesUnchanged: run.addressesUnchanged,
    durationMs: BigInt(run.syncDurationMs ?? 0),
    status: syncStatusToProto(run.status),
    errorDetails: (run.errorDetails ?? []).map((f) => ({ currency: f.currency, network: f.network ?? "", reason: f.reason, message: f.message })),
    createTime: timestampFromDate(run.createdAt),
    completeTime: run.completedAt ? timestampFromDate(run.completedAt) : undefined,
  });
}
