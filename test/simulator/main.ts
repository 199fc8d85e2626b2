/**
 * `npm run sim`: all eight simulated exchanges on consecutive ports from `SIM_PORT_BASE` (18000),
 * one demo account each with reproducible keys, until SIGINT/SIGTERM.
 */
import { makeCredentials } from './credentials.js';
import { startSimulator } from './simulator.js';
import { CCXT_IDS } from './types.js';

const portBase = Number(process.env['SIM_PORT_BASE'] ?? 18000);
if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65_528) {
  console.error(`SIM_PORT_BASE must be a port number, got ${process.env['SIM_PORT_BASE'] ?? ''}`);
  process.exit(1);
}
const host = process.env['SIM_HOST'] ?? '127.0.0.1';

const sim = await startSimulator({ host, portBase });
console.log(`WALLET_EXCHANGE_URL_OVERRIDES='${JSON.stringify(sim.urlOverrides())}'`);
console.log('\nDemo accounts (read+trade keys; BTC, ETH, USDT on TRC20/ERC20/BEP20 without a BEP20 address, XRP with tag, LTC without address):');
for (const id of sim.exchanges) {
  const credentials = makeCredentials(id, process.env['SIM_SEED'] ?? 'demo');
  sim.exchange(id).addAccount({ ...credentials, permissions: { read: true, trade: true, withdraw: false } });
  console.log(`${id.padEnd(9)} ccxt=${CCXT_IDS[id].padEnd(16)} ${JSON.stringify(credentials)}`);
}
console.log('\nCtrl-C to stop.');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping simulator`);
  await sim.close();
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
