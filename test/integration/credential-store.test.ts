import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { CredentialsUnreadableError } from '../../src/crypto/cipher.js';
import { connectClient, connectError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { startTestService, type TestService } from '../support/service.js';
import { pauseVault, resumeVault, startPrivateVault, vaultApi } from '../support/vault.js';
import type { VaultServer } from '../support/vault-server.js';

const logs = useLogCapture();
let vault: VaultServer;
let svc: TestService;

beforeAll(async () => {
  vault = await startPrivateVault();
  logs.registerSecret(vault.rootToken, vault.restrictedToken);
  svc = await startTestService(logs, { vault: { addr: vault.addr, token: vault.restrictedToken } });
});
afterAll(async () => {
  await svc?.stop();
  await vault?.stop();
});

function credentials() {
  const c = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}`, passphrase: `pass-${randomUUID()}` };
  logs.registerSecret(c.apiKey, c.apiSecret, c.passphrase);
  return c;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

describe('Vault transit', () => {
  it('seals credentials under a derived key that a token allowed only encrypt/decrypt created', async () => {
    const userId = randomUUID();
    const client = connectClient(WalletService, svc.baseUrl, await svc.token(userId));
    const creds = credentials();
    const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'okx', accountName: 'vaulted', credentials: creds });
    const key = await vaultApi('transit/keys/wallet-credentials', vault.rootToken, { addr: vault.addr });
    expect(key.body?.data).toMatchObject({ derived: true, type: 'aes256-gcm96' });
    const accounts = svc.service.app.accounts;
    expect(await accounts.credentialsOf(await accounts.get(userId, exchangeAccount!.id))).toEqual({ apiKey: creds.apiKey, apiSecret: creds.apiSecret, passphrase: creds.passphrase });
  });

  it('does not decrypt a ciphertext moved onto another account\'s row', async () => {
    const userId = randomUUID();
    const client = connectClient(WalletService, svc.baseUrl, await svc.token(userId));
    const a = (await client.createExchangeAccount({ exchangeId: 'kucoin', accountName: 'a', credentials: credentials() })).exchangeAccount!;
    const b = (await client.createExchangeAccount({ exchangeId: 'kucoin', accountName: 'b', credentials: credentials() })).exchangeAccount!;
    await withPgClient(svc.database.url, (pg) =>
      pg.query(
        `update exchange_accounts t set api_key_encrypted = s.api_key_encrypted, api_secret_encrypted = s.api_secret_encrypted, api_passphrase_encrypted = s.api_passphrase_encrypted
         from exchange_accounts s where s.id = $1 and t.id = $2`,
        [a.id, b.id],
      ),
    );
    const accounts = svc.service.app.accounts;
    await expect(accounts.credentialsOf(await accounts.get(userId, b.id))).rejects.toBeInstanceOf(CredentialsUnreadableError);
    await expect(accounts.credentialsOf(await accounts.get(userId, a.id))).resolves.toMatchObject({ apiKey: expect.stringMatching(/^key-/) });
  });

  it('answers UNAVAILABLE with retry advice and reports NOT_SERVING while Vault hangs, and recovers when it is back', async () => {
    const userId = randomUUID();
    const client = connectClient(WalletService, svc.baseUrl, await svc.token(userId));
    const health = connectClient(Health, svc.baseUrl, undefined);
    const serving = async () => (await health.check({})).status === Serving.SERVING;
    expect(await serving()).toBe(true);
    pauseVault(vault.pid);
    try {
      const err = await connectError(client.createExchangeAccount({ exchangeId: 'binance', accountName: 'paused', credentials: credentials() }));
      expect(err).toMatchObject({ code: 'UNAVAILABLE', reason: 'CREDENTIAL_STORE_UNAVAILABLE', retryDelayMs: 5000 });
      expect(err.message).toContain('retry later');
      await until(async () => !(await serving()), 5000);
    } finally {
      resumeVault(vault.pid);
    }
    await until(serving, 5000);
    const rows = await withPgClient(svc.database.url, (pg) => pg.query('select count(*)::int as n from exchange_accounts where user_id = $1', [userId]));
    expect(rows.rows[0]!.n).toBe(0); // nothing half-written
    await expect(client.createExchangeAccount({ exchangeId: 'binance', accountName: 'paused', credentials: credentials() })).resolves.toBeDefined();
  });

  it('answers UNAVAILABLE at once when Vault refuses connections', async () => {
    const gone = await startPrivateVault();
    const down = await startTestService(logs, { vault: { addr: gone.addr, token: gone.restrictedToken } });
    logs.registerSecret(gone.rootToken, gone.restrictedToken);
    try {
      await gone.stop();
      const client = connectClient(WalletService, down.baseUrl, await down.token());
      const started = Date.now();
      const err = await connectError(client.createExchangeAccount({ exchangeId: 'binance', accountName: 'x', credentials: credentials() }));
      expect(err).toMatchObject({ code: 'UNAVAILABLE', reason: 'CREDENTIAL_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await down.stop();
    }
  });
});

describe('shutdown with a handler still running', () => {
  it('lets a call its client cancelled finish before the database closes', async () => {
    const own = await startTestService(logs, { vault: { addr: vault.addr, token: vault.restrictedToken }, database: svc.database });
    const userId = randomUUID();
    const client = connectClient(WalletService, own.baseUrl, await own.token(userId));
    const cancel = new AbortController();
    const before = logs.entries().length;
    let stopped: Promise<void> | undefined;
    pauseVault(vault.pid);
    try {
      const call = client.createExchangeAccount({ exchangeId: 'okx', accountName: 'cancelled', credentials: credentials() }, { signal: cancel.signal });
      await new Promise((r) => setTimeout(r, 300)); // the handler now waits for Vault's encrypt
      cancel.abort();
      await expect(call).rejects.toThrow(/cancel|abort/i);
      stopped = own.stop(); // no response is open any more; the handler still runs
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      resumeVault(vault.pid);
    }
    await stopped;
    const said = logs.entries().slice(before).map((entry) => [entry.msg, entry.rpc, entry.code]);
    const created = said.findIndex(([, rpc]) => rpc === 'wallet.v1.WalletService/CreateExchangeAccount');
    expect(said[created]).toEqual(['call', 'wallet.v1.WalletService/CreateExchangeAccount', 'OK']);
    expect(created, JSON.stringify(said)).toBeLessThan(said.findIndex(([msg]) => msg === 'wallet service stopped'));
    const rows = await withPgClient(own.database.url, (pg) => pg.query('select account_name from exchange_accounts where user_id = $1', [userId]));
    expect(rows.rows).toEqual([{ account_name: 'cancelled' }]); // written whole, before the pool closed
  });
});

describe('Vault set-up', () => {
  it('creates the transit key, derived, when the token may and it is missing', async () => {
    const fresh = await startTestService(logs, { vault: { addr: vault.addr, token: vault.rootToken }, env: { VAULT_TRANSIT_KEY: 'fresh-key' } });
    try {
      const key = await vaultApi('transit/keys/fresh-key', vault.rootToken, { addr: vault.addr });
      expect(key.body?.data).toMatchObject({ derived: true });
    } finally {
      await fresh.stop();
    }
  });

  it('refuses to start on a key without derivation, naming the problem', async () => {
    await vaultApi('transit/keys/plain-key', vault.rootToken, { addr: vault.addr, body: { type: 'aes256-gcm96' } });
    await expect(startTestService(logs, { vault: { addr: vault.addr, token: vault.rootToken }, env: { VAULT_TRANSIT_KEY: 'plain-key' } })).rejects.toThrow(/without key derivation/);
  });

  it('logs in with AppRole', async () => {
    const root = (path: string, body?: unknown) => vaultApi(path, vault.rootToken, { addr: vault.addr, body });
    await root('sys/auth/approle', { type: 'approle' });
    await root('auth/approle/role/wallet', { token_policies: ['wallet-credentials'], token_ttl: '1h' });
    const roleId = String((await root('auth/approle/role/wallet/role-id')).body?.data?.role_id);
    const secretId = String((await vaultApi('auth/approle/role/wallet/secret-id', vault.rootToken, { addr: vault.addr, method: 'POST' })).body?.data?.secret_id);
    logs.registerSecret(secretId);
    const approle = await startTestService(logs, {
      vault: false,
      env: { VAULT_ADDR: vault.addr, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId },
    });
    try {
      const client = connectClient(WalletService, approle.baseUrl, await approle.token());
      const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'bybit', accountName: 'approle', credentials: credentials() });
      const row = await withPgClient(approle.database.url, (pg) => pg.query('select api_key_encrypted from exchange_accounts where id = $1', [exchangeAccount!.id]));
      expect(row.rows[0]!.api_key_encrypted).toMatch(/^vault:v1:/);
    } finally {
      await approle.stop();
    }
  });
});
