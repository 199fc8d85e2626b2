import http2 from "node:http2";
import type net from "node:net";
import { setImmediate } from "node:timers";
import type { Logger } from "../logger.js";

const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** What one HTTP/2 connection may hold, and for how long: one client's misbehaviour must cost only that client. */
export interface Http2Limits {
  /** Streams open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); a conforming client queues the rest. */
  readonly maxConcurrentStreams: number;
  /** Megabytes one session may hold (nghttp2's state, answers waiting for the client's flow-control window); past it, new streams are refused. */
  readonly maxSessionMemoryMb: number;
  /** A connection with no open stream for this long gets a GOAWAY and is closed. */
  readonly idleTimeoutMs: number;
  /** Each connection is pinged this often; one that does not answer within pingTimeoutMs is cut. */
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** Streams the client may reset: a burst, refilled at a rate per second; past it the connection is cut (rapid reset). */
  readonly resetBurst: number;
  readonly resetsPerSecond: number;
}

/**
 * grpc-go's stream limit and Node's own session memory default; a reset budget
 * under nghttp2's own (1000, 33/s) so that ours, which closes the socket, acts first.
 */
export const DEFAULT_HTTP2_LIMITS: Http2Limits = {
  maxConcurrentStreams: 100,
  maxSessionMemoryMb: 10,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 20_000,
  pingTimeoutMs: 10_000,
  resetBurst: 200,
  resetsPerSecond: 33,
};

/** After a GOAWAY, how long the peer may take to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * Watches one server session over the socket it runs on, which the session's
 * own `socket` (a proxy) does not let us close: the session is closed with a
 * GOAWAY once idle, and cut when its peer resets too many streams or stops
 * answering PINGs. On Node 20, a session whose peer broke the protocol (a
 * frame on stream 0, a reset flood past nghttp2's own limit) gets nghttp2's
 * GOAWAY and then stops reading its socket without telling JavaScript: the
 * peer's FIN is never read and the socket stays in CLOSE-WAIT for good. The
 * PING it then cannot answer is what finds it.
 */
export function guardSession(session: http2.ServerHttp2Session, socket: net.Socket, limits: Http2Limits, logger: Logger): void {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  let pong: NodeJS.Timeout | undefined;
  let resetTokens = limits.resetBurst;
  let refilledAt = performance.now();

  const closeSocketSoon = (): void => {
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };
  const cut = (reason: string, code: number): void => {
    if (session.destroyed) return;
    logger.warn({ reason, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort }, "HTTP/2 connection cut");
    session.destroy(new Error(reason), code); // the error only reaches the server's 'sessionError'
    closeSocketSoon();
  };
  const armIdle = (): void => {
    idle = setTimeout(() => {
      logger.debug({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort }, "idle HTTP/2 connection closed");
      session.close(); // GOAWAY(NO_ERROR); Node destroys the session once no stream is left
      closeSocketSoon();
    }, limits.idleTimeoutMs);
    idle.unref();
  };
  const onReset = (): void => {
    const now = performance.now();
    resetTokens = Math.min(limits.resetBurst, resetTokens + ((now - refilledAt) / 1000) * limits.resetsPerSecond);
    refilledAt = now;
    if (resetTokens < 1) cut("too many streams reset by the client", NGHTTP2_ENHANCE_YOUR_CALM);
    else resetTokens -= 1;
  };

  session.on("stream", (stream) => {
    // 'stream' comes a tick after the HEADERS frame: a RST_STREAM in the same read has closed it already.
    if (stream.destroyed) return onReset();
    open += 1;
    clearTimeout(idle);
    stream.once("close", () => {
      open -= 1;
      if (stream.rstCode !== NGHTTP2_NO_ERROR) onReset();
      if (open === 0 && !session.closed && !session.destroyed) armIdle();
    });
  });

  const ping = setInterval(() => {
    if (session.destroyed) return socket.destroy(); // closed, but the peer never closed its side
    if (pong) return;
    const deadline = setTimeout(() => {
      // An event loop that was blocked runs timers before reading sockets: let the answer be read first.
      setImmediate(() => {
        if (pong === deadline) cut("no answer to a PING", NGHTTP2_NO_ERROR);
      });
    }, limits.pingTimeoutMs);
    pong = deadline;
    try {
      session.ping(() => {
        clearTimeout(pong);
        pong = undefined;
      });
    } catch {
      clearTimeout(pong); // closing already: its own end, or the next tick, releases it
      pong = undefined;
    }
  }, limits.pingIntervalMs);
  ping.unref();

  session.once("close", () => {
    clearTimeout(idle);
    clearTimeout(pong);
    clearInterval(ping);
  });
  armIdle();
}
