import http2 from "node:http2";
import { brotliCompressSync, gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createContextKey, createContextValues, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter, createGrpcWebTransport } from "@connectrpc/connect-node";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { GetDepositAddressRequestSchema, GetDepositAddressResponseSchema, WalletService } from "../../gen/wallet/v1/wallet_service_pb.js";
import { connectClient, connectError } from "../../test/support/clients.js";
import { createLogger } from "../logger.js";
import { callObserver } from "./call-observer.interceptor.js";
import { Metrics } from "./metrics.js";
import { WalletServer } from "./server.js";
import { serviceRoute, unaryHandler } from "./unary-handler.js";

const COMPRESS_MIN_BYTES = 1024;
const READ_MAX_BYTES = 64 * 1024;
const peerKey = createContextKey("", { description: "peer" });

/** What the service saw of each call. */
let seen: { label: string; signal: AbortSignal; timeoutMs: number | undefined; peer: string; intercepted: boolean }[];
let fallbackCalls: string[];
/** A call of GetDepositAddress with this id waits until its signal aborts. */
const WAIT = "wait-for-abort";

const services = [
  serviceRoute(WalletService, {
    async getDepositAddress(req, ctx: HandlerContext) {
      seen.push({ label: req.id, signal: ctx.signal, timeoutMs: ctx.timeoutMs(), peer: ctx.values.get(peerKey), intercepted: ctx.requestHeader.get("x-intercepted") === "yes" });
      if (req.id === WAIT) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      if (req.id === "missing") {
        throw new ConnectError("no such address", Code.NotFound, undefined, [{ desc: ErrorInfoSchema, value: { reason: "DEPOSIT_ADDRESS_NOT_FOUND", domain: "wallet" } }]);
      }
      ctx.responseHeader.set("x-answered-by", "impl");
      return { depositAddress: { id: req.id, label: req.id === "big" ? "x".repeat(4 * COMPRESS_MIN_BYTES) : "small" } };
    },
    async *syncDepositAddresses() {
      yield { event: { case: "started", value: { syncId: "s", total: 1 } } };
    },
  }),
];

/** Marks each call's request headers, so a test sees the interceptors ran; passes on a copy of the request, as an interceptor may. */
const marker: Interceptor = (next) => (req) => {
  req.header.set("x-intercepted", "yes");
  return next({ ...req });
};

/** The service's own call observer, outermost: what it counts is what the service's metrics would show. */
const metrics = new Metrics({ defaultMetrics: false });
const observer = callObserver(createLogger("silent"), metrics);

/** The calls the observer counted, by method and code, in the order of their codes' first calls. */
async function observed(): Promise<{ method: string; code: string; count: number }[]> {
  return (await metrics.rpcCalls.get()).values.map((v) => ({ method: String(v.labels.method), code: String(v.labels.code), count: v.value }));
}

let server: WalletServer;
let baseUrl: string;

beforeAll(async () => {
  const options = {
    interceptors: [observer, marker],
    contextValues: () => createContextValues().set(peerKey, "peer-1"),
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: COMPRESS_MIN_BYTES,
    readMaxBytes: READ_MAX_BYTES,
  };
  const adapter = connectNodeAdapter({ routes: (router) => services.forEach(({ service, impl }) => router.service(service, impl)), ...options });
  const handler = unaryHandler(services, options, (req, res) => {
    fallbackCalls.push(req.url ?? "");
    adapter(req, res);
  });
  server = new WalletServer(handler, createLogger("silent"));
  baseUrl = `http://127.0.0.1:${await server.listen(0, "127.0.0.1")}`;
});
afterAll(() => server.close(0));
beforeEach(() => {
  seen = [];
  fallbackCalls = [];
  metrics.rpcCalls.reset();
});

interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  data: Buffer;
}

/** One gRPC call by hand over HTTP/2, to see its frames as the wire has them. */
function rawCall(path: string, body: Uint8Array, headers: http2.OutgoingHttpHeaders = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    const chunks: Buffer[] = [];
    let answer: Omit<RawAnswer, "data"> = { headers: {}, trailers: {} };
    stream.on("response", (h) => (answer = { ...answer, headers: h }));
    stream.on("trailers", (t) => (answer = { ...answer, trailers: t }));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      session.close();
      resolve({ ...answer, data: Buffer.concat(chunks) });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

const envelope = (message: Uint8Array, flags = 0): Buffer => Buffer.from(encodeEnvelope(flags, message));
const encodeVarint = (n: number): Buffer => {
  const bytes: number[] = [];
  for (; n > 0x7f; n >>>= 7) bytes.push((n & 0x7f) | 0x80);
  return Buffer.from([...bytes, n]);
};

const GET = "/wallet.v1.WalletService/GetDepositAddress";
const getRequest = (id: string) => toBinary(GetDepositAddressRequestSchema, create(GetDepositAddressRequestSchema, { id }));

describe("unary calls without connect-node's pipeline", () => {
  it("answers a gRPC call itself, through the interceptors, with the implementation's headers and the context values", async () => {
    const res = await connectClient(WalletService, baseUrl, undefined, "grpc").getDepositAddress({ id: "a-1" });
    expect(res.depositAddress).toMatchObject({ id: "a-1", label: "small" });
    expect(fallbackCalls).toEqual([]);
    expect(seen).toEqual([expect.objectContaining({ label: "a-1", intercepted: true, peer: "peer-1", timeoutMs: undefined })]);
    const raw = await rawCall(GET, envelope(getRequest("a-2")));
    expect(raw.headers["x-answered-by"]).toBe("impl");
    expect(raw.headers["content-type"]).toBe("application/grpc+proto");
    expect(raw.trailers["grpc-status"]).toBe("0");
  });

  it("gzips an answer of compressMinBytes or more when the client accepts gzip, and only then", async () => {
    const gzipped = await rawCall(GET, envelope(getRequest("big")), { "grpc-accept-encoding": "identity, gzip" });
    expect(gzipped.headers["grpc-encoding"]).toBe("gzip");
    expect(gzipped.data[0]).toBe(1);
    const message = fromBinary(GetDepositAddressResponseSchema, gunzipSync(gzipped.data.subarray(5)));
    expect(message.depositAddress?.label).toHaveLength(4 * COMPRESS_MIN_BYTES);

    const plain = await rawCall(GET, envelope(getRequest("big")));
    expect(plain.headers["grpc-encoding"]).toBeUndefined();
    expect(plain.data[0]).toBe(0);
    const small = await rawCall(GET, envelope(getRequest("a-3")), { "grpc-accept-encoding": "gzip" });
    expect(small.headers["grpc-encoding"]).toBeUndefined();
  });

  it("answers the implementation's errors with their code, message and details", async () => {
    const err = await connectError(connectClient(WalletService, baseUrl, undefined, "grpc").getDepositAddress({ id: "missing" }));
    expect(err).toMatchObject({ code: "NOT_FOUND", message: "no such address", reason: "DEPOSIT_ADDRESS_NOT_FOUND" });
    expect(fallbackCalls).toEqual([]);
  });

  it("refuses a malformed request inside the interceptors, without running it: a cut envelope, two messages, bad protobuf, an unknown compression, an invalid timeout", async () => {
    const message = getRequest("a-4");
    const cases: [Buffer, http2.OutgoingHttpHeaders, Code][] = [
      [envelope(message).subarray(0, 7), {}, Code.InvalidArgument],
      [Buffer.concat([envelope(message), envelope(message)]), {}, Code.Unimplemented],
      [envelope(Buffer.from([0xff, 0xff, 0xff, 0xff])), {}, Code.InvalidArgument],
      [envelope(message.subarray(0, message.length - 3)), {}, Code.InvalidArgument],
      [envelope(gzipSync(message), 1), {}, Code.InvalidArgument], // compressed, but no grpc-encoding
      [envelope(Buffer.from("not gzip"), 1), { "grpc-encoding": "gzip" }, Code.InvalidArgument],
      [envelope(message, 1), { "grpc-encoding": "snappy" }, Code.Unimplemented],
      [envelope(message), { "grpc-timeout": "soon" }, Code.InvalidArgument],
    ];
    for (const [body, headers, code] of cases) {
      const raw = await rawCall(GET, body, headers);
      expect(raw.trailers["grpc-status"], JSON.stringify(headers)).toBe(String(code));
      expect(raw.headers["grpc-accept-encoding"]).toBe("gzip,br");
    }
    const counts = { INVALID_ARGUMENT: 6, UNIMPLEMENTED: 2 };
    expect(await observed()).toEqual(Object.entries(counts).map(([code, count]) => ({ method: "wallet.v1.WalletService/GetDepositAddress", code, count })));
    expect(seen).toEqual([]);
    expect(fallbackCalls).toEqual([]);
  });

  it("refuses a request larger than readMaxBytes with RESOURCE_EXHAUSTED, plain or once inflated, without running it", async () => {
    // A valid message with one large unknown field: only its size is wrong.
    const large = Buffer.concat([Buffer.from(getRequest("a-9")), Buffer.from([0x7a]), encodeVarint(READ_MAX_BYTES), Buffer.alloc(READ_MAX_BYTES)]);
    const grpc = await rawCall(GET, envelope(large));
    expect(grpc.trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    expect(decodeURIComponent(String(grpc.trailers["grpc-message"]))).toMatch(/larger than configured readMaxBytes 65536/);
    const connect = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/proto" }, body: large });
    expect(connect.status).toBe(429);
    expect(await connect.json()).toMatchObject({ code: "resource_exhausted" });
    const inflated = await rawCall(GET, envelope(gzipSync(large), 1), { "grpc-encoding": "gzip" });
    expect(inflated.trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    const connectInflated = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/proto", "content-encoding": "gzip" }, body: gzipSync(large) });
    expect(connectInflated.status).toBe(429);
    // Just under the limit is fine.
    const fits = Buffer.concat([Buffer.from(getRequest("a-9")), Buffer.from([0x7a]), encodeVarint(1000), Buffer.alloc(1000)]);
    expect((await rawCall(GET, envelope(fits))).trailers["grpc-status"]).toBe("0");
    expect(seen.map((s) => s.label)).toEqual(["a-9"]);
    expect((await observed()).map(({ code, count }) => [code, count])).toEqual([["RESOURCE_EXHAUSTED", 4], ["OK", 1]]);
    expect(fallbackCalls).toEqual([]);
  });

  it("answers compressed requests (gzip, brotli), gRPC-JSON and gRPC-Web itself, and hands connect-node streams and what is not a unary call", async () => {
    const compressed = await rawCall(GET, envelope(gzipSync(getRequest("a-5")), 1), { "grpc-encoding": "gzip" });
    expect(compressed.trailers["grpc-status"]).toBe("0");
    const brotli = await rawCall(GET, envelope(brotliCompressSync(getRequest("a-5b")), 1), { "grpc-encoding": "br" });
    expect(brotli.trailers["grpc-status"]).toBe("0");
    const json = await rawCall(GET, envelope(Buffer.from(JSON.stringify({ id: "a-6" }))), { "content-type": "application/grpc+json" });
    expect(json.headers["content-type"]).toBe("application/grpc+json");
    expect(JSON.parse(json.data.subarray(5).toString())).toMatchObject({ depositAddress: { id: "a-6" } });
    const web = connectClient(WalletService, baseUrl, undefined, "grpc-web");
    expect((await web.getDepositAddress({ id: "a-7" })).depositAddress?.label).toBe("small");
    expect(await connectError(web.getDepositAddress({ id: "missing" }))).toMatchObject({ code: "NOT_FOUND", reason: "DEPOSIT_ADDRESS_NOT_FOUND" });
    const webGzip = createClient(WalletService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1", sendCompression: compressionGzip, compressMinBytes: 0 }));
    expect((await webGzip.getDepositAddress({ id: "big" })).depositAddress?.label).toHaveLength(4 * COMPRESS_MIN_BYTES);
    const gzipped = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync('{"id":"a-8"}') });
    expect(gzipped.status).toBe(200);
    expect(fallbackCalls).toEqual([]);

    const messages = [];
    for await (const m of connectClient(WalletService, baseUrl, undefined, "grpc").syncDepositAddresses({})) messages.push(m);
    expect(messages).toHaveLength(1);
    const text = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/grpc-web-text" }, body: envelope(getRequest("a-9")).toString("base64") });
    expect(text.status).toBe(415); // connect-node's answer: it does not take gRPC-Web text either
    const get = await fetch(`${baseUrl}${GET}?encoding=json&message=${encodeURIComponent('{"id":"a-10"}')}`);
    expect(get.status).toBe(405); // no method of ours is NO_SIDE_EFFECTS
    expect(fallbackCalls).toEqual(["/wallet.v1.WalletService/SyncDepositAddresses", GET, `${GET}?encoding=json&message=${encodeURIComponent('{"id":"a-10"}')}`]);
    expect(seen.map((s) => s.label)).toEqual(["a-5", "a-5b", "a-6", "a-7", "missing", "big", "a-8"]);
  });

  it("answers an unknown Connect content-encoding with UNIMPLEMENTED and the encodings it takes", async () => {
    const res = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "snappy" }, body: '{"id":"c-0"}' });
    expect(res.status).toBe(501);
    expect(res.headers.get("accept-encoding")).toBe("gzip,br");
    expect(await res.json()).toMatchObject({ code: "unimplemented" });
    expect((await observed()).map(({ code, count }) => [code, count])).toEqual([["UNIMPLEMENTED", 1]]);
  });

  it("answers Connect unary calls itself, JSON and binary, over HTTP/1.1 and h2, errors as Connect JSON with their HTTP status", async () => {
    for (const protocol of ["connect-http1", "connect-h2"] as const) {
      const client = connectClient(WalletService, baseUrl, undefined, protocol);
      expect((await client.getDepositAddress({ id: `c-${protocol}` })).depositAddress?.label).toBe("small");
      expect(await connectError(client.getDepositAddress({ id: "missing" }))).toMatchObject({ code: "NOT_FOUND", reason: "DEPOSIT_ADDRESS_NOT_FOUND" });
    }
    const binary = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/proto" }, body: getRequest("c-binary") });
    expect(binary.headers.get("content-type")).toBe("application/proto");
    expect(fromBinary(GetDepositAddressResponseSchema, new Uint8Array(await binary.arrayBuffer())).depositAddress?.id).toBe("c-binary");

    const missing = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id":"missing"}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not_found", message: "no such address" });
    const big = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json", "accept-encoding": "gzip" }, body: '{"id":"big"}' });
    expect(big.headers.get("content-encoding")).toBe("gzip");
    expect(((await big.json()) as { depositAddress: { label: string } }).depositAddress.label).toHaveLength(4 * COMPRESS_MIN_BYTES);
    const badTimeout = await fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json", "connect-timeout-ms": "soon" }, body: '{"id":"c-1"}' });
    expect(badTimeout.status).toBe(400);
    expect(fallbackCalls).toEqual([]);
    expect(seen.every((s) => s.intercepted && s.peer === "peer-1")).toBe(true);
  });

  it("aborts the call's signal when the client goes away (HTTP/2 reset, HTTP/1.1 disconnect) or the deadline passes, and not when the call just ends", async () => {
    const client = connectClient(WalletService, baseUrl, undefined, "grpc");
    await client.getDepositAddress({ id: "a-8" });
    expect(seen[0]!.signal.aborted).toBe(false);

    const cancel = new AbortController();
    const cancelled = client.getDepositAddress({ id: WAIT }, { signal: cancel.signal });
    await expect.poll(() => seen.length).toBe(2);
    cancel.abort();
    await expect(cancelled).rejects.toMatchObject({ code: Code.Canceled });
    await expect.poll(() => seen[1]!.signal.aborted).toBe(true);
    expect(ConnectError.from(seen[1]!.signal.reason).code).toBe(Code.Canceled);

    const h1 = new AbortController();
    const gone = fetch(`${baseUrl}${GET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: WAIT }), signal: h1.signal });
    await expect.poll(() => seen.length).toBe(3);
    h1.abort();
    await expect(gone).rejects.toThrow();
    await expect.poll(() => seen[2]!.signal.aborted).toBe(true);

    const late = await rawCall(GET, envelope(getRequest(WAIT)), { "grpc-timeout": "200m" });
    expect(seen[3]!.timeoutMs).toBeGreaterThan(150);
    expect(ConnectError.from(seen[3]!.signal.reason).code).toBe(Code.DeadlineExceeded);
    expect(late.trailers["grpc-status"]).toBe("0"); // the implementation chose to answer anyway
  });
});
