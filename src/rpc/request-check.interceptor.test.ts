import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DomainError, ValidationError } from "../errors.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import {
  BatchCreateDepositAddressesRequestSchema,
  CreateExchangeAccountRequestSchema,
  SyncDepositAddressesRequestSchema,
  UpdateDepositAddressRequestSchema,
  WalletService,
} from "../../gen/wallet/v1/wallet_service_pb.js";
import { requestFailureKey } from "./context.js";
import { nulViolations, requestCheck } from "./request-check.interceptor.js";

const SECRET = "sk-live-\u0000-73582079";
const fields = <D extends DescMessage>(desc: D, init: Parameters<typeof create<D>>[1]) => nulViolations(desc, create(desc, init));

describe("nulViolations", () => {
  it("names every string with a NUL by its proto path, at any depth, and says nothing of the value", () => {
    const found = fields(CreateExchangeAccountRequestSchema, {
      accountName: "main",
      credentials: { apiKey: SECRET, apiSecret: "fine" },
      metadata: { team: "a\u0000b", "k\u0000": "v", ok: "ok" },
    });
    expect(found).toEqual([
      { field: "credentials.api_key", description: "must not contain NUL characters" },
      { field: 'metadata["team"]', description: "must not contain NUL characters" },
      { field: "metadata", description: "keys must not contain NUL characters" },
    ]);
    expect(JSON.stringify(found)).not.toContain("73582079");
    expect(fields(UpdateDepositAddressRequestSchema, { depositAddress: { label: "x\u0000", userMetadata: { k: "\u0000" }, exchangeMetadata: { raw: { deep: "\u0000" } } } }).map((v) => v.field)).toEqual([
      "deposit_address.label",
      'deposit_address.user_metadata["k"]',
      'deposit_address.exchange_metadata.fields["raw"].struct_value.fields["deep"].string_value',
    ]);
    expect(fields(BatchCreateDepositAddressesRequestSchema, { requests: [{ currency: "BTC" }, { currency: "ETH", network: "\u0000" }] }).map((v) => v.field)).toEqual(["requests[1].network"]);
    expect(fields(SyncDepositAddressesRequestSchema, { currencies: ["BTC", "E\u0000TH"] }).map((v) => v.field)).toEqual(["currencies[1]"]);
    expect(fields(CreateExchangeAccountRequestSchema, { accountName: "main", metadata: { k: "v" }, credentials: { apiKey: "key" } })).toEqual([]);
  });
});

const unary = (message: Message, method = WalletService.method.createExchangeAccount) =>
  ({ stream: false, method, service: method.parent, message, contextValues: createContextValues(), header: new Headers(), url: "", requestMethod: "POST", signal: new AbortController().signal }) as unknown as UnaryRequest;

const stream = (messages: AsyncIterable<Message>, method: typeof Health.method.watch | typeof WalletService.method.syncDepositAddresses) =>
  ({ stream: true, method, service: method.parent, message: messages, contextValues: createContextValues(), header: new Headers(), url: "", requestMethod: "POST", signal: new AbortController().signal }) as unknown as StreamRequest;

describe("requestCheck", () => {
  const check = requestCheck();
  let reached: Message[];
  const next = check(async (req) => {
    reached = [];
    if (req.stream) for await (const m of req.message) reached.push(m);
    else reached.push(req.message);
    return { stream: false } as never;
  });

  it("refuses a unary request with a NUL, or one the unary handler could not read, before the next interceptor", async () => {
    await expect(next(unary(create(CreateExchangeAccountRequestSchema, { accountName: "a\u0000" })))).rejects.toBeInstanceOf(ValidationError);
    expect(reached).toBeUndefined();
    const failed = unary(create(CreateExchangeAccountRequestSchema));
    const failure = new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    failed.contextValues.set(requestFailureKey, failure);
    await expect(next(failed)).rejects.toBe(failure);
    expect(reached).toBeUndefined();
    await next(unary(create(CreateExchangeAccountRequestSchema, { accountName: "fine" })));
    expect(reached).toHaveLength(1);
  });

  it("reads a server stream's request before the next interceptor: a decoding error becomes INVALID_ARGUMENT, a NUL is refused", async () => {
    async function* failing(): AsyncIterable<Message> {
      yield* [];
      throw new ConnectError("parse binary: premature EOF", Code.Internal);
    }
    let called = false;
    const spy = check(async () => {
      called = true;
      return { stream: true } as never;
    });
    const err = await spy(stream(failing(), Health.method.watch)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: "invalid_argument", message: "invalid request: the message could not be decoded" });
    async function* one(message: Message): AsyncIterable<Message> {
      yield message;
    }
    const nul = await spy(stream(one(create(SyncDepositAddressesRequestSchema, { currencies: ["\u0000"] })), WalletService.method.syncDepositAddresses)).catch((e: unknown) => e);
    expect((nul as ValidationError).violations.map((v) => v.field)).toEqual(["currencies[0]"]);
    expect(called).toBe(false);
    await next(stream(one(create(SyncDepositAddressesRequestSchema, { currencies: ["BTC"] })), WalletService.method.syncDepositAddresses));
    expect(reached).toHaveLength(1);
  });
});
