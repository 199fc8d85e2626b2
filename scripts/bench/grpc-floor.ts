// The floor under GetDepositAddress over gRPC: servers that do no work, each
// answering the same fixed GetDepositAddressResponse, under the load of
// `npm run bench:addresses` (ghz, open loop, 500 req/s, 4 HTTP/2 connections),
// each in its own Node process with the service's GC settings:
//   - node:http2: the gRPC answer written by hand (envelope, then grpc-status trailer),
//   - connect-node: connectNodeAdapter serving the method,
//   - unary-handler: the service's way, src/rpc/unary-handler.ts in front of connect-node.
// What separates connect-node from node:http2 is the cost of connect-node's
// handler pipeline on this Node (see unary-handler.ts); the service's own
// figure can only be compared with the floor it stands on.
//
// BENCH_REPS (3), BENCH_RATE_SECONDS (12).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { createContextValues } from '@connectrpc/connect';
import { compressionGzip, connectNodeAdapter } from '@connectrpc/connect-node';
import { encodeEnvelope } from '@connectrpc/connect/protocol';
import { DepositAddressSchema } from '../../gen/wallet/v1/deposit_address_pb.js';
import { GetDepositAddressResponseSchema, WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { serviceRoute, unaryHandler } from '../../src/rpc/unary-handler.js';
import { runGhz } from './load.js';
import { percentile, row, spread } from './stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 12);
const RATE = 500;
const SERVERS = ['node:http2', 'connect-node', 'unary-handler'] as const;
type Server = (typeof SERVERS)[number];

const answer = {
  depositAddress: create(DepositAddressSchema, {
    id: '7b3c1a52-5d0e-4c7e-9a59-1f4f3c1d2e01',
    currency: 'BTC',
    network: 'BTC',
    address: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
    label: 'main',
  }),
};

function serve(server: Server): void {
  const envelope = encodeEnvelope(0, toBinary(GetDepositAddressResponseSchema, create(GetDepositAddressResponseSchema, answer)));
  const routes = [serviceRoute(WalletService, { getDepositAddress: () => answer })];
  const adapter = connectNodeAdapter({ routes: (r) => routes.forEach(({ service, impl }) => r.service(service, impl)) });
  const unary = unaryHandler(routes, { interceptors: [], contextValues: () => createContextValues(), acceptCompression: [compressionGzip], compressMinBytes: 64 * 1024, readMaxBytes: 4 * 1024 * 1024 }, adapter);
  const h2 =
    server !== 'node:http2'
      ? http2.createServer({}, server === 'connect-node' ? adapter : unary)
      : http2.createServer({}).on('stream', (stream) => {
          stream.resume();
          stream.once('end', () => {
            stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
            stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
            stream.end(envelope);
          });
        });
  h2.listen(0, '127.0.0.1', () => console.log((h2.address() as { port: number }).port));
}

async function measure(server: Server, dir: string, rep: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', fileURLToPath(import.meta.url), 'serve', server], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`${server} server exited (${code})`)));
    });
    const target = {
      host: `127.0.0.1:${port}`,
      protoFile: join(root, 'proto', 'wallet', 'v1', 'wallet_service.proto'),
      importPath: join(root, 'proto'),
      method: 'wallet.v1.WalletService/GetDepositAddress',
      connections: 4,
      bin: join(root, '.tools', 'bin', 'ghz'),
      servicePid: child.pid!,
      cwd: root,
    };
    const calls = [{ token: 'unused', body: { id: answer.depositAddress.id } }];
    const result = await runGhz(target, calls, 1, { kind: 'open', rate: RATE, seconds: SECONDS }, dir, `${server.replace(':', '-')}-${rep}`);
    if (result.errors > 0) throw new Error(`${server}: ${result.errors} calls failed, first: ${result.firstError}`);
    return result.latencies;
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(root, '.tools', 'bin', 'ghz'))) throw new Error('ghz missing: run `node scripts/install-tools.mjs bench`');
  const dir = mkdtempSync(join(tmpdir(), 'wallet-grpc-floor-'));
  const p50 = new Map<Server, number[]>(SERVERS.map((s) => [s, []]));
  const p99 = new Map<Server, number[]>(SERVERS.map((s) => [s, []]));
  try {
    for (let rep = 1; rep <= REPS; rep++) {
      for (const server of SERVERS) {
        const latencies = await measure(server, dir, rep);
        p50.get(server)!.push(percentile(latencies, 50));
        p99.get(server)!.push(percentile(latencies, 99));
        console.log(`rep ${rep}/${REPS} ${server}: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nGetDepositAddress answered by a server doing no work, gRPC (ghz, 4 connections), open loop ${RATE}/s for ${SECONDS} s; median [min-max] of ${REPS} runs`);
  const widths = [16, 28, 28];
  console.log(row(['server', 'p50', 'p99 (bar for the service: < 10 ms)'], widths));
  for (const s of SERVERS) console.log(row([s, spread(p50.get(s)!, 2, 'ms').text, spread(p99.get(s)!, 2, 'ms').text], widths));
}

if (process.argv[2] === 'serve') serve(process.argv[3] as Server);
else await main();
