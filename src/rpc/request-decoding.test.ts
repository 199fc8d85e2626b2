import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import {
  BatchCreateDepositAddressesRequestSchema,
  CreateDepositAddressRequestSchema,
  CreateExchangeAccountRequestSchema,
  GetDepositAddressRequestSchema,
  ListDepositAddressesRequestSchema,
  UpdateDepositAddressRequestSchema,
  WalletService,
} from "../../gen/wallet/v1/wallet_service_pb.js";
import { decodeRequest, requestReadError } from "./request-decoding.js";

const ID = "7b3c1a52-5d0e-4c7e-9a59-1f4f3c1d2e01";
const bytes = (...parts: (number[] | Uint8Array | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

/** What decoding `input` refuses: the message, and the fields named with what they must be. */
function refusal(run: () => unknown) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e).toMatchObject({ kind: "invalid_argument", reason: "VALIDATION_FAILED" });
    return { message: e.message, fields: e.violations.map((v) => `${v.field}: ${v.description}`) };
  }
  throw new Error("expected the request to be refused");
}

describe("decodeRequest, protobuf binary", () => {
  it("decodes a valid message as protobuf-es does, unknown fields skipped", () => {
    const valid = toBinary(UpdateDepositAddressRequestSchema, create(UpdateDepositAddressRequestSchema, { depositAddress: { id: ID, label: "main", userMetadata: { k: "v" } }, updateMask: { paths: ["label"] } }));
    const withUnknown = bytes(valid, [0xf8, 0x07, 0x01]); // field 127, varint 1
    expect(decodeRequest(UpdateDepositAddressRequestSchema, true, withUnknown)).toEqual(fromBinary(UpdateDepositAddressRequestSchema, withUnknown));
  });

  it("refuses garbage, a cut field and an illegal tag, naming the field being read", () => {
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, true, bytes([0xff, 0xff, 0xff, 0xff])))).toEqual({ message: "invalid request: the message has an illegal tag", fields: [] });
    const cut = toBinary(GetDepositAddressRequestSchema, create(GetDepositAddressRequestSchema, { id: ID })).subarray(0, 10);
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, true, cut)).fields).toEqual(["id: is cut short"]);
    // A nested message whose length runs past its parent's end.
    expect(refusal(() => decodeRequest(UpdateDepositAddressRequestSchema, true, bytes([0x0a, 0x05, 0x0a, 0x09], "abc"))).fields).toEqual(["deposit_address.id: is cut short"]);
  });

  it("refuses a known field sent with another wire type, even where protobuf-es would read something", () => {
    // id (field 1, a string) as varint 1, then "A": protobuf-es reads the id "A".
    const misread = bytes([0x08, 0x01, 0x41]);
    expect(fromBinary(GetDepositAddressRequestSchema, misread).id).toBe("A");
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, true, misread)).fields).toEqual(["id: has the wrong wire type"]);
    // credentials.api_key as varint 73582079: named, the number never said.
    const apiKey = bytes([0x1a, 0x05, 0x08, 0xff, 0x83, 0x8b, 0x23]);
    const r = refusal(() => decodeRequest(CreateExchangeAccountRequestSchema, true, apiKey));
    expect(r.fields).toEqual(["credentials.api_key: has the wrong wire type"]);
    expect(JSON.stringify(r)).not.toContain("73582079");
    // page_size (an int32) sent length-delimited.
    expect(refusal(() => decodeRequest(ListDepositAddressesRequestSchema, true, bytes([0x0a, 0x01, 0x05]))).fields).toEqual(["page_size: has the wrong wire type"]);
  });

  it("refuses invalid UTF-8 in a string, a map key or value, at any depth, by its path", () => {
    const bad = [0xc3, 0x28];
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, true, bytes([0x0a, 0x02], bad))).fields).toEqual(["id: is not valid UTF-8"]);
    const entry = (key: number[], value: number[]) => bytes([0x0a, key.length], key, [0x12, value.length], value);
    const metadata = (key: number[], value: number[]) => { const e = entry(key, value); return bytes([0x32, e.length], e); }; // user_metadata = 6
    expect(refusal(() => decodeRequest(CreateDepositAddressRequestSchema, true, metadata([0x6b], bad))).fields).toEqual(['user_metadata["k"]: is not valid UTF-8']);
    expect(refusal(() => decodeRequest(CreateDepositAddressRequestSchema, true, metadata(bad, [0x76]))).fields).toEqual(["user_metadata: is not valid UTF-8"]);
    const address = (() => { const e = entry([0x6b], bad); return bytes([0x72, e.length], e); })(); // DepositAddress.user_metadata = 14
    expect(refusal(() => decodeRequest(UpdateDepositAddressRequestSchema, true, bytes([0x0a, address.length], address))).fields).toEqual(['deposit_address.user_metadata["k"]: is not valid UTF-8']);
    const item = (label: number[]) => bytes([0x22, label.length], label); // CreateDepositAddressRequest.label = 4
    const requests = [item([0x61]), item(bad)].map((r) => bytes([0x12, r.length], r)); // requests = 2
    expect(refusal(() => decodeRequest(BatchCreateDepositAddressesRequestSchema, true, bytes(...requests))).fields).toEqual(["requests[1].label: is not valid UTF-8"]);
  });
});

describe("decodeRequest, JSON", () => {
  const json = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

  it("decodes valid JSON, ignoring unknown fields as Connect does", () => {
    const message = decodeRequest(ListDepositAddressesRequestSchema, false, json({ pageSize: 5, currency: "BTC", notAField: 1 }));
    expect(message).toMatchObject({ pageSize: 5, currency: "BTC" });
  });

  it("names the field of a value of the wrong type, deepest first, and never says the value", () => {
    const secret = "73582079";
    const cases: [unknown, string][] = [
      [{ credentials: { api_key: 73582079, apiSecret: "s" } }, "credentials.api_key: must be a string"],
      [{ credentials: { apiKey: [secret] } }, "credentials.api_key: must be a string"],
      [{ credentials: "73582079" }, "credentials: must be an object"],
      [{ metadata: { k: 73582079 } }, 'metadata["k"]: must be a string'],
      [{ metadata: [secret] }, "metadata: must be an object"],
      [{ sandboxMode: "73582079" }, "sandbox_mode: must be true or false"],
    ];
    for (const [value, field] of cases) {
      const r = refusal(() => decodeRequest(CreateExchangeAccountRequestSchema, false, json(value)));
      expect(r.fields).toEqual([field]);
      expect(JSON.stringify(r)).not.toContain(secret);
    }
    expect(refusal(() => decodeRequest(BatchCreateDepositAddressesRequestSchema, false, json({ requests: [{ label: "a" }, { label: 73582079 }] }))).fields).toEqual(["requests[1].label: must be a string"]);
    expect(refusal(() => decodeRequest(ListDepositAddressesRequestSchema, false, json({ view: true }))).fields).toEqual(["view: must be one of the names of wallet.v1.DepositAddressView"]);
    expect(refusal(() => decodeRequest(ListDepositAddressesRequestSchema, false, json({ pageSize: 1.5 }))).fields).toEqual(["page_size: must be an integer"]);
    expect(refusal(() => decodeRequest(UpdateDepositAddressRequestSchema, false, json({ updateMask: 73582079 }))).fields).toEqual(["update_mask: must be a google.protobuf.FieldMask in its JSON form"]);
  });

  it("refuses what is not JSON, or not UTF-8, without quoting it", () => {
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, false, json('{"id": 73582079')))).toEqual({ message: "invalid request: the message is not valid JSON", fields: [] });
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, false, bytes('{"id":"', [0xc3, 0x28], '"}')))).toEqual({ message: "invalid request: the message is not valid UTF-8", fields: [] });
    expect(refusal(() => decodeRequest(GetDepositAddressRequestSchema, false, json([73582079]))).message).toBe("invalid request: the message is not a JSON object of the request's fields");
  });
});

describe("requestReadError", () => {
  it("turns Connect's decoding errors into INVALID_ARGUMENT without their words, and keeps its protocol errors", () => {
    const binary = requestReadError(new ConnectError("parse binary: premature EOF", Code.Internal), GetDepositAddressRequestSchema);
    expect(binary).toMatchObject({ kind: "invalid_argument", reason: "VALIDATION_FAILED", message: "invalid request: the message could not be decoded" });
    let jsonError: unknown;
    try {
      const limits = { readMaxBytes: 1 << 20, writeMaxBytes: 1 << 20 };
      createMethodSerializationLookup(WalletService.method.createExchangeAccount, undefined, undefined, limits).getI(false).parse(Buffer.from('{"accountName": 73582079}'));
    } catch (err) {
      jsonError = err;
    }
    expect(String(jsonError)).toContain("73582079"); // what Connect would have answered
    const json = requestReadError(jsonError, CreateExchangeAccountRequestSchema) as DomainError;
    expect(json.violations).toEqual([{ field: "account_name", description: "must be a string" }]);
    expect(JSON.stringify({ message: json.message, violations: json.violations })).not.toContain("73582079");
    for (const kept of [new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument), new ConnectError("message too large", Code.ResourceExhausted)]) {
      expect(requestReadError(kept, GetDepositAddressRequestSchema)).toBe(kept);
    }
  });
});
