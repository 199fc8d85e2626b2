import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AddressAction, AddressEventView } from "../addresses/address-activity.js";
import type { AddressValidation as Validation } from "../addresses/address-check.js";
import type { AddressDetail, AddressView } from "../addresses/deposit-address.view.js";
import { ValidationError } from "../errors.js";
import {
  type AddressEvent,
  AddressEventAction,
  AddressValidation,
  AddressEventSchema,
  type DepositAddress,
  DepositAddressSchema,
  DepositAddressView,
} from "../../gen/wallet/v1/deposit_address_pb.js";

const VALIDATION_OF: Record<Validation, AddressValidation> = {
  valid: AddressValidation.VALID,
  not_checked: AddressValidation.NOT_CHECKED,
};

/** An address as clients see it; exchange_metadata only in the FULL view. */
export function depositAddressToProto(a: AddressView): DepositAddress {
  return create(DepositAddressSchema, {
    id: a.id,
    exchangeAccountId: a.exchangeAccountId,
    userId: a.userId,
    exchangeId: a.exchangeId,
    currency: a.currency,
    address: a.address,
    tag: a.tag ?? "",
    network: a.network,
    tagRequired: a.tagRequired,
    addressValidation: VALIDATION_OF[a.addressValidation] ?? AddressValidation.UNSPECIFIED,
    addressType: a.addressType,
    label: a.label ?? "",
    description: a.description ?? "",
    isActive: a.isActive,
    lastVerifiedTime: a.lastVerifiedAt ? timestampFromDate(a.lastVerifiedAt) : undefined,
    userMetadata: a.userMetadata,
    exchangeMetadata: a.exchangeMetadata as JsonObject | undefined,
    createTime: timestampFromDate(a.createdAt),
    updateTime: timestampFromDate(a.updatedAt),
    deleteTime: a.deletedAt ? timestampFromDate(a.deletedAt) : undefined,
  });
}

/** The view a request asks for; `fallback` when unspecified (BASIC for lists, FULL for Get). */
export function detailOf(view: DepositAddressView, fallback: AddressDetail): AddressDetail {
  switch (view) {
    case DepositAddressView.UNSPECIFIED:
      return fallback;
    case DepositAddressView.BASIC:
      return "basic";
    case DepositAddressView.FULL:
      return "full";
    default:
      throw new ValidationError([{ field: "view", description: "must be DEPOSIT_ADDRESS_VIEW_BASIC or DEPOSIT_ADDRESS_VIEW_FULL" }]);
  }
}

const ACTION_OF: Record<AddressAction, AddressEventAction> = {
  created: AddressEventAction.CREATED,
  updated: AddressEventAction.UPDATED,
  deleted: AddressEventAction.DELETED,
  verified: AddressEventAction.VERIFIED,
  changed: AddressEventAction.CHANGED,
};

export function addressEventToProto(e: AddressEventView): AddressEvent {
  return create(AddressEventSchema, {
    id: e.id,
    depositAddressId: e.addressId,
    userId: e.userId,
    action: ACTION_OF[e.action] ?? AddressEventAction.UNSPECIFIED,
    oldValues: (e.oldValues ?? undefined) as JsonObject | undefined,
    newValues: (e.newValues ?? undefined) as JsonObject | undefined,
    ipAddress: e.ipAddress ?? "",
    userAgent: e.userAgent ?? "",
    createTime: timestampFromDate(e.createdAt),
  });
}
