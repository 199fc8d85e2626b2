import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimReply, SimRequest } from './dialect.js';

/** How a handler answers: a reply to write, or `hold` to keep the socket open without answering. */
export type Outcome = SimReply | 'hold';

/** A running HTTP listener. */
export interface Listener {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function toSimRequest(req: IncomingMessage): Promise<SimRequest> {
  const raw = req.url ?? '/';
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  const rawQuery = at < 0 ? '' : raw.slice(at + 1);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers: req.headers,
    body: await readBody(req),
    ip: req.socket.remoteAddress ?? 'unknown',
    now: Date.now(),
  };
}

function write(res: ServerResponse, reply: SimReply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...reply.headers });
  res.end(reply.body);
}

/**
 * A bare node:http listener around one async handler. Held requests ('timeout' faults) stay open
 * until the client gives up or `close()` destroys every socket, so close never hangs.
 */
export async function listen(
  host: string,
  port: number,
  handler: (req: SimRequest) => Promise<Outcome>,
): Promise<Listener> {
  const server: Server = createServer((req, res) => {
    toSimRequest(req)
      .then(handler)
      .then(
        (outcome) => {
          if (outcome !== 'hold') write(res, outcome);
        },
        (error: unknown) => {
          write(res, { status: 500, body: `simulator error: ${String(error)}` });
        },
      );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
