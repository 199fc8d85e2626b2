// Load generators for the RPC benchmarks, and the arithmetic of their results.
//
// Which generator. On this 2-core machine the generator competes with the
// service for CPU. The default are two public Go tools, installed into
// .tools/bin by `node scripts/install-tools.mjs bench` (pinned versions):
//   - ghz (gRPC; a real grpc-go client; BENCH_GRPC_CONNECTIONS HTTP/2 connections, 4 by default),
//   - vegeta (Connect JSON over HTTP/1.1; one keep-alive connection per request in flight).
// They were measured against a Node generator in the bench process, @grpc/grpc-js
// (several channels) and undici (a pool of 64 keep-alive connections), interleaved,
// quiet machine, 64 in flight:
//                        service req/s (go | node)   generator CPU per call (go | node)
//   List gRPC            406, 345 | 348, 320          0.85-0.91 ms | 0.72-0.84 ms
//   List Connect         764, 720 | 661, 476          0.17-0.18 ms | 0.28-0.38 ms
//   Get gRPC             1457, 1306 | 1211, 897       0.19-0.20 ms | 0.31-0.40 ms
//   Get Connect          2205, 1885 | 2198, 1764      0.13-0.14 ms | 0.11-0.14 ms
// Either way the service (one Node process, so at most ~1 core) is the
// bottleneck and ~0.4 core stays idle; but with the Go tools the service got as
// many or more requests/s in every pair, spent less CPU per gRPC call (grpc-js
// costs the server more per call: 3.1-3.3 vs 2.6-3.1 ms per List), and their
// open-loop timing does not share an event loop and a GC with anything (the
// Node generator's own pauses showed up as latency). ghz over 2, 4 or 8
// connections gave the same service numbers within the noise (382-396 List,
// 1304-1442 Get req/s): the server, not the connection count, is the limit.
//
// Open loop. At a fixed offered rate a request is due at t0 + i/rate whether or
// not earlier ones have finished, and its latency counts from that due time:
// a stall then shows as the lateness of every request it delayed (no coordinated
// omission). vegeta and `ghz --async` start requests on schedule; what either
// tool may still start late (its own CPU starved) is added back by `openLoop()`,
// which measures from the schedule, not from the actual start.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

/** One request as both the gRPC and the Connect generators need it. */
export interface Call {
  readonly token: string;
  /** The request message in proto3 JSON (lowerCamelCase). */
  readonly body: Record<string, unknown>;
}

export type Mode =
  | { readonly kind: 'closed'; readonly inFlight: number; readonly seconds: number }
  | { readonly kind: 'open'; readonly rate: number; readonly seconds: number };

export interface Result {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Successful requests per second over the run. */
  readonly throughput: number;
  /** Sorted latencies (ms) of successful calls; open loop: from the scheduled time. */
  readonly latencies: number[];
  readonly cpu: CpuSplit;
}

/** Cores busy on average during a run. */
export interface CpuSplit {
  readonly service: number;
  readonly generator: number;
  /** PostgreSQL's processes (those alive at both ends of the run). */
  readonly database: number;
  /** Everything else busy: the kernel, this process, other people's work on a shared machine. */
  readonly other: number;
  readonly idle: number;
}

// ---------------------------------------------------------------- CPU accounting

const TICK = 100; // USER_HZ on Linux

function procStat(pid: number | 'self'): number[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number); // fields from #3 on
}

interface CpuMark {
  readonly at: number;
  readonly busy: number;
  readonly total: number;
  readonly service: Map<number, number>;
  readonly children: number;
  readonly self: number;
  readonly postgres: Map<number, number>;
}

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly cpu: number;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
      out.push({ pid: Number(entry), ppid: f[1]!, comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), cpu: (f[11]! + f[12]!) / TICK });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds by process: the service and its children (cluster workers, if
 * any), and our PostgreSQL: the postmaster this process started (embedded
 * PostgreSQL runs in-process) and its backends. Other postgres processes on
 * the machine (other people's test clusters) count as "other".
 */
function ourCpu(servicePid: number): { service: Map<number, number>; postgres: Map<number, number> } {
  const all = processes();
  const service = new Map<number, number>();
  const postgres = new Map<number, number>();
  const postmasters = new Set<number>();
  for (const p of all) {
    if (p.pid === servicePid || (p.ppid === servicePid && p.comm !== 'postgres')) service.set(p.pid, p.cpu);
    if (p.ppid === process.pid && p.comm === 'postgres') postmasters.add(p.pid);
  }
  for (const p of all) if (p.comm === 'postgres' && (postmasters.has(p.pid) || postmasters.has(p.ppid))) postgres.set(p.pid, p.cpu);
  return { service, postgres };
}

function machineBusy(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu as [number, number, number, number, number, number, number, number];
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/**
 * Waits, up to `maxMs`, for a second in which the machine (all of it: the
 * service is idle between runs) is busier than `cores` at most; the machine is
 * shared, and someone else's build or test run distorts a benchmark. Resolves
 * with the cores that were busy in the last second.
 */
export async function waitForQuiet(cores: number, maxMs: number): Promise<number> {
  const until = Date.now() + maxMs;
  for (;;) {
    const a = machineBusy();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineBusy();
    const busy = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * availableParallelism();
    if (busy <= cores || Date.now() >= until) return busy;
  }
}

function cpuMark(servicePid: number): CpuMark {
  const { busy, total } = machineBusy();
  const self = procStat('self');
  const usage = process.cpuUsage();
  const ours = ourCpu(servicePid);
  return {
    at: performance.now(),
    busy,
    total,
    service: ours.service,
    children: (self[13]! + self[14]!) / TICK, // cutime + cstime: waited-for children (ghz, vegeta)
    self: (usage.user + usage.system) / 1e6,
    postgres: ours.postgres,
  };
}

function cpuSplit(a: CpuMark, b: CpuMark): CpuSplit {
  const cores = availableParallelism();
  const seconds = (b.at - a.at) / 1000;
  const busy = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cores;
  const delta = (x: Map<number, number>, y: Map<number, number>) => [...y].reduce((sum, [pid, cpu]) => sum + cpu - (x.get(pid) ?? 0), 0);
  const service = delta(a.service, b.service) / seconds;
  const generator = (b.children - a.children) / seconds; // the generators run as our child processes
  const database = delta(a.postgres, b.postgres) / seconds;
  return { service, generator, database, other: Math.max(0, busy - service - generator - database), idle: Math.max(0, cores - busy) };
}

// ---------------------------------------------------------------- statistics

export function sortedNumbers(values: Iterable<number>): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/**
 * Open-loop latencies measured from the schedule. `starts` and `ends` (ms) of
 * each request in any order; request k (in start order) was due at t0 + k/rate,
 * t0 being the earliest start the schedule allows (so no request is "early").
 */
export function openLoop(starts: number[], ends: number[], rate: number): number[] {
  const order = starts.map((_, i) => i).sort((x, y) => starts[x]! - starts[y]!);
  const interval = 1000 / rate;
  let t0 = Infinity;
  order.forEach((i, k) => (t0 = Math.min(t0, starts[i]! - k * interval)));
  return sortedNumbers(order.map((i, k) => ends[i]! - (t0 + k * interval)));
}

// ---------------------------------------------------------------- ghz (gRPC)

export interface GrpcTarget {
  readonly host: string; // host:port
  readonly protoFile: string;
  readonly importPath: string;
  readonly method: string; // package.Service/Method
  readonly connections: number;
  readonly bin: string;
  readonly servicePid: number;
  readonly cwd: string;
}

/**
 * ghz: the request of call number n is calls[n % calls.length] (its data array),
 * and its token comes from the environment variable BT<n % users>, picked by
 * the metadata template, so `calls` must cycle through users in the same order
 * (calls[j] belongs to user j % users).
 */
export async function runGhz(t: GrpcTarget, calls: readonly Call[], users: number, mode: Mode, dir: string, tag: string): Promise<Result> {
  const dataFile = `${dir}/${tag}.data.json`;
  const outFile = `${dir}/${tag}.out.json`;
  await writeJson(dataFile, calls.map((c) => c.body));
  const env: Record<string, string> = {};
  for (let u = 0; u < users; u++) env[`BT${u}`] = calls[u]!.token;
  const args = [
    '--insecure',
    `--proto=${t.protoFile}`,
    `--import-paths=${t.importPath}`,
    `--call=${t.method}`,
    `--data-file=${dataFile}`,
    `--metadata={"authorization":"Bearer {{env (print \`BT\` (mod .RequestNumber ${users}))}}"}`,
    `--connections=${t.connections}`,
    `--duration=${mode.seconds}s`,
    '--duration-stop=wait', // requests in flight at the end finish and count
    '--timeout=20s',
    '--format=json',
    `--output=${outFile}`,
    '--cpus=2',
  ];
  if (mode.kind === 'closed') args.push(`--concurrency=${mode.inFlight}`);
  // --async: every tick starts its request at once, however many are in flight.
  else args.push(`--rps=${mode.rate}`, '--async', `--concurrency=${t.connections}`);
  args.push(t.host);
  const before = cpuMark(t.servicePid);
  await exec(t.bin, args, t.cwd, env);
  const after = cpuMark(t.servicePid);
  const report = JSON.parse(readFileSync(outFile, 'utf8')) as { details?: { timestamp: string; latency: number; error: string; status: string }[] };
  const starts: number[] = [];
  const ends: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (const d of report.details ?? []) {
    if (d.status !== 'OK') {
      errors++;
      firstError ??= `${d.status}: ${d.error}`;
      continue;
    }
    const end = Date.parse(d.timestamp) + nanosFraction(d.timestamp); // ghz reports each call's end time
    ends.push(end);
    starts.push(end - d.latency / 1e6);
  }
  return result(starts, ends, errors, firstError, mode, cpuSplit(before, after));
}

/** Sub-millisecond part of an RFC 3339 timestamp with nanoseconds (Date.parse keeps ms). */
function nanosFraction(ts: string): number {
  const m = /\.(\d+)/.exec(ts);
  if (!m) return 0;
  const digits = m[1]!.padEnd(9, '0');
  return Number(digits.slice(3, 9)) / 1e6;
}

// ---------------------------------------------------------------- vegeta (Connect JSON over HTTP/1.1)

export interface HttpTarget {
  readonly baseUrl: string;
  readonly path: string; // /wallet.v1.WalletService/Method
  readonly bin: string;
  readonly servicePid: number;
  readonly cwd: string;
}

/** vegeta: targets cycle through `calls`; HTTP/1.1 keep-alive, one connection per request in flight. */
export async function runVegeta(t: HttpTarget, calls: readonly Call[], mode: Mode, dir: string, tag: string): Promise<Result> {
  const targets = `${dir}/${tag}.targets.jsonl`;
  const results = `${dir}/${tag}.bin`;
  const lines = calls.map((c) =>
    JSON.stringify({
      method: 'POST',
      url: `${t.baseUrl}${t.path}`,
      body: Buffer.from(JSON.stringify(c.body)).toString('base64'),
      header: { 'Content-Type': ['application/json'], Authorization: [`Bearer ${c.token}`] },
    }),
  );
  await writeText(targets, `${lines.join('\n')}\n`);
  const args = [
    'attack',
    '-format=json',
    `-targets=${targets}`,
    `-duration=${mode.seconds}s`,
    '-max-body=0', // keep no response bodies in the results
    '-timeout=20s',
    '-http2=false',
    `-output=${results}`,
  ];
  if (mode.kind === 'closed') args.push('-rate=0', `-workers=${mode.inFlight}`, `-max-workers=${mode.inFlight}`);
  else args.push(`-rate=${mode.rate}/1s`, '-workers=16'); // more workers are added whenever all are busy
  const before = cpuMark(t.servicePid);
  await exec(t.bin, args, t.cwd);
  const after = cpuMark(t.servicePid);
  const csv = await execOutput(t.bin, ['encode', '-to=csv', results], t.cwd);
  const starts: number[] = [];
  const ends: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (const line of csv.split('\n')) {
    if (!line) continue;
    // timestamp (ns), code, latency (ns), bytes out, bytes in, error, body, ...
    const [ts, code, latency, , , error] = line.split(',');
    if (code !== '200') {
      errors++;
      firstError ??= `HTTP ${code} ${error ?? ''}`;
      continue;
    }
    const start = Number(BigInt(ts!) / 1000n) / 1000; // ns → ms, keeping µs
    starts.push(start);
    ends.push(start + Number(latency) / 1e6);
  }
  return result(starts, ends, errors, firstError, mode, cpuSplit(before, after));
}

// ---------------------------------------------------------------- Node generator (for comparison)

function result(starts: number[], ends: number[], errors: number, firstError: string | undefined, mode: Mode, cpu: CpuSplit): Result {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < starts.length; i++) {
    first = Math.min(first, starts[i]!);
    last = Math.max(last, ends[i]!);
  }
  const latencies = mode.kind === 'open' ? openLoop(starts, ends, mode.rate) : sortedNumbers(ends.map((e, i) => e - starts[i]!));
  if (process.env.BENCH_DEBUG && mode.kind === 'open') {
    const raw = sortedNumbers(ends.map((e, i) => e - starts[i]!));
    const q = (a: number[], p: number) => a[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)]!.toFixed(1);
    const t0 = Math.min(...starts);
    const slow = starts.map((st, i) => ({ at: (st - t0) / 1000, ms: ends[i]! - st })).filter((x) => x.ms > 15);
    const clusters: string[] = [];
    for (const x of slow) {
      const last = clusters.length ? Number(clusters[clusters.length - 1]!.split('s')[0]) : -1;
      if (x.at - last > 0.2) clusters.push(`${x.at.toFixed(2)}s:${x.ms.toFixed(0)}`);
    }
    console.error(`  (times from ${new Date(t0).toISOString()}, epoch ms ${t0.toFixed(0)})`);
    console.error(`  slow (>15 ms) calls: ${slow.length}, bursts starting at ${clusters.slice(0, 30).join(' ')}`);
    console.error(`  open loop: ${starts.length} calls; from the schedule p50/p90/p99/p99.9/max ${[50, 90, 99, 99.9, 100].map((p) => q(latencies, p)).join('/')} ms; from the actual start ${[50, 90, 99, 99.9, 100].map((p) => q(raw, p)).join('/')} ms`);
  }
  return { ok: starts.length, errors, firstError, throughput: starts.length / ((last - first) / 1000), latencies, cpu };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeText(path, JSON.stringify(value));
}

async function writeText(path: string, text: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, text);
}

function exec(bin: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 2000)}`))));
  });
}

function execOutput(bin: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`${bin} exited with ${code}: ${stderr}`))));
  });
}
