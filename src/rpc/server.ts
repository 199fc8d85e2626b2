import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "../logger.js";
import { DEFAULT_HTTP2_LIMITS, guardSession, type Http2Limits } from "./http2-session-guard.js";
import { InFlight } from "./in-flight.js";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

const PREFACE = "PRI ";

/** A fresh connection that has not said which protocol it speaks within this is closed. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

/**
 * HTTP/1.1 against slow clients (slowloris): the headers within 10 s, the whole
 * request (at most 4 MiB) within 30 s; Node's defaults are 60 s and 5 min,
 * checked every 30 s. Idle keep-alive connections close after Node's 5 s.
 */
const HTTP1_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 };

/**
 * One TCP port for gRPC (h2c), gRPC-Web and Connect over HTTP/1.1 and h2c.
 * Node's cleartext HTTP/2 server cannot take HTTP/1.1, so a plain TCP server
 * reads each connection's first bytes: the HTTP/2 preface goes to an http2
 * server, anything else to an http server; both run the same handler.
 */
export class WalletServer {
  private readonly tcp = net.createServer((socket) => this.route(socket));
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Open responses, by their path. */
  private readonly responses = new InFlight();

  private readonly limits: Http2Limits;

  /** `calls`: the RPC handlers running, which may outlive their responses; `limits`: what one HTTP/2 connection may hold. */
  constructor(
    handler: Handler,
    private readonly logger: Logger,
    private readonly calls?: InFlight,
    limits: Partial<Http2Limits> = {},
  ) {
    this.limits = { ...DEFAULT_HTTP2_LIMITS, ...limits };
    const tracked: Handler = (req, res) => {
      // A stream the client reset before we saw it (rapid reset): no call to run, nobody to answer.
      if ("stream" in res && res.stream.destroyed) return;
      this.responses.start(res, req.url ?? "");
      res.once("close", () => this.responses.end(res));
      handler(req, res);
    };
    this.h1 = http.createServer(HTTP1_TIMEOUTS, tracked);
    this.h2 = http2.createServer(
      { settings: { maxConcurrentStreams: this.limits.maxConcurrentStreams }, maxSessionMemory: this.limits.maxSessionMemoryMb },
      tracked,
    );
    // The http server only checks timeouts and idle connections once it has "listened".
    this.tcp.on("listening", () => this.h1.emit("listening"));
  }

  /** Connections open now, HTTP/1.1 and HTTP/2 (for tests and diagnostics). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Listens on `port` (0 = any free port) and resolves with the port taken. */
  listen(port: number, host = "0.0.0.0"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off("error", reject);
        resolve((this.tcp.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections, lets calls in flight finish (HTTP/2 clients
   * get a GOAWAY) and their handlers return, then closes every connection;
   * what still runs after `graceMs` is cut.
   */
  async close(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const session of this.sessions) session.close();
    this.h1.closeIdleConnections();
    if (this.responses.size > 0) {
      this.logger.info({ inflight: this.responses.size, calls: this.responses.labels() }, "draining calls in flight");
    }
    const answered = await this.responses.settled(graceMs);
    const returned = (await this.calls?.settled(Math.max(0, deadline - Date.now()))) ?? true;
    if (!answered || !returned) {
      this.logger.warn({ calls: this.responses.labels(), handlers: this.calls?.labels() }, "grace period over: cutting calls still in flight");
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private route(socket: net.Socket): void {
    socket.setNoDelay(true); // small RPC frames must not wait for Nagle
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < PREFACE.length && PREFACE.startsWith(head.toString("latin1"))) return;
      socket.off("data", onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (head.subarray(0, PREFACE.length).toString("latin1") === PREFACE) {
        // The server makes the session synchronously in its 'connection' listener.
        this.h2.once("session", (session) => this.adopt(session, socket));
        this.h2.emit("connection", socket);
      } else {
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  }

  private adopt(session: http2.ServerHttp2Session, socket: net.Socket): void {
    this.sessions.add(session);
    session.once("close", () => this.sessions.delete(session));
    guardSession(session, socket, this.limits, this.logger);
  }
}
