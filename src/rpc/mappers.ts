import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ExchangeAccount, StoredPermissions } from "../accounts/exchange-account.entity.js";
import type { SupportedExchange } from "../exchanges/supported-exchange.entity.js";
import { SYNC_STATES, type SyncState } from "../sync/sync-state.js";
import { type ExchangeAccount as ExchangeAccountPb, ExchangeAccountSchema, type KeyPermissions, KeyPermissionsSchema } from "../../gen/wallet/v1/exchange_account_pb.js";
import { type SupportedExchange as SupportedExchangePb, SupportedExchangeSchema } from "../../gen/wallet/v1/exchange_pb.js";
import { SyncStatus } from "../../gen/wallet/v1/sync_pb.js";

const SYNC_STATUS_OF: Record<SyncState, SyncStatus> = {
  pending: SyncStatus.PENDING,
  running: SyncStatus.RUNNING,
  succeeded: SyncStatus.SUCCEEDED,
  partial: SyncStatus.PARTIAL,
  failed: SyncStatus.FAILED,
};

export function syncStatusToProto(state: SyncState): SyncStatus {
  return SYNC_STATUS_OF[state];
}

/** The stored state of a SyncStatus; undefined for UNSPECIFIED. */
export function syncStatusFromProto(status: SyncStatus): SyncState | undefined {
  return SYNC_STATES.find((state) => SYNC_STATUS_OF[state] === status);
}

/** An account as clients see it: no credential, only the key's last 4 characters. */
export function exchangeAccountToProto(account: ExchangeAccount): ExchangeAccountPb {
  const permissions = account.permissions;
  return create(ExchangeAccountSchema, {
    id: account.id,
    userId: account.userId,
    exchangeId: account.exchangeId,
    accountName: account.accountName,
    sandboxMode: account.sandboxMode,
    isActive: account.isActive,
    syncStatus: syncStatusToProto(account.syncStatus),
    lastSyncTime: account.lastSyncAt ? timestampFromDate(account.lastSyncAt) : undefined,
    errorMessage: account.errorMessage ?? "",
    metadata: account.metadata,
    apiKeyHint: account.apiKeyHint,
    hasPassphrase: account.apiPassphraseEncrypted !== null,
    permissions: permissions ? keyPermissionsToProto(permissions) : undefined,
    createTime: timestampFromDate(account.createdAt),
    updateTime: timestampFromDate(account.updatedAt),
    deleteTime: account.deletedAt ? timestampFromDate(account.deletedAt) : undefined,
  });
}

/** What a key check learned, as clients see it. */
export function keyPermissionsToProto(p: StoredPermissions): KeyPermissions {
  return create(KeyPermissionsSchema, {
    read: p.read,
    trade: p.trade,
    withdraw: p.withdraw,
    reported: p.reported,
    checkTime: timestampFromDate(new Date(p.checkedAt)),
    ipRestricted: p.ipRestricted,
    ipAllowlist: p.ipAllowlist ?? [],
    expireTime: p.expiresAt ? timestampFromDate(new Date(p.expiresAt)) : undefined,
  });
}

export function supportedExchangeToProto(row: SupportedExchange): SupportedExchangePb {
  return create(SupportedExchangeSchema, {
    id: row.id,
    name: row.name,
    ccxtId: row.ccxtId,
    requiresPassphrase: row.requiresPassphrase,
    sandboxAvailable: row.sandboxAvailable,
    supportsDepositAddresses: row.supportsDepositAddresses,
    rateLimitPerMinute: row.rateLimitPerMinute,
    websiteUrl: row.websiteUrl ?? "",
    apiDocUrl: row.apiDocUrl ?? "",
    isActive: row.isActive,
  });
}
