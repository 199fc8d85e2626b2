import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from './database.js';
import { withPgClient } from './pg.js';
import { startPrivateVault, vaultApi, whileVaultPaused } from './vault.js';
import { TRANSIT_KEY, TRANSIT_MOUNT } from './vault-server.js';

describe('test infrastructure', () => {
  it('gives each caller a fresh database of its own', async () => {
    const db = await createTestDatabase();
    const name = await withPgClient(db.url, async (client) => {
      await client.query('create table probe (id int)');
      return (await client.query<{ name: string }>('select current_database() as name')).rows[0]?.name;
    });
    expect(db.url).toMatch(new RegExp(`/${name}$`));
    await db.drop();
  });

  it('lets the restricted token encrypt and decrypt with a context on the service key', async () => {
    const token = inject('vaultRestrictedToken');
    const context = Buffer.from('exchange-account:42').toString('base64');
    const plaintext = Buffer.from('{"apiSecret":"s3cret"}').toString('base64');
    const encrypted = await vaultApi(`${TRANSIT_MOUNT}/encrypt/${TRANSIT_KEY}`, token, { body: { plaintext, context } });
    expect(encrypted.status).toBe(200);
    const ciphertext = encrypted.body?.data?.ciphertext;
    expect(ciphertext).toMatch(/^vault:v1:/);

    const decrypted = await vaultApi(`${TRANSIT_MOUNT}/decrypt/${TRANSIT_KEY}`, token, { body: { ciphertext, context } });
    expect(decrypted.body?.data?.plaintext).toBe(plaintext);
    const otherContext = Buffer.from('exchange-account:43').toString('base64');
    const swapped = await vaultApi(`${TRANSIT_MOUNT}/decrypt/${TRANSIT_KEY}`, token, { body: { ciphertext, context: otherContext } });
    expect(swapped.status).toBe(400); // bound to its context: a swapped ciphertext does not decrypt
  });

  it('denies the restricted token everything else', async () => {
    const token = inject('vaultRestrictedToken');
    expect((await vaultApi(`${TRANSIT_MOUNT}/keys/${TRANSIT_KEY}`, token)).status).toBe(403);
    expect((await vaultApi('sys/mounts', token)).status).toBe(403);
    expect((await vaultApi(`${TRANSIT_MOUNT}/encrypt/another-key`, token, { body: { plaintext: 'eA==' } })).status).toBe(403);
    expect((await vaultApi('auth/token/lookup-self', token)).status).toBe(403);
    expect((await vaultApi(`${TRANSIT_MOUNT}/keys/${TRANSIT_KEY}`, inject('vaultRootToken'))).status).toBe(200);
  });

  it('pauses a Vault server (requests hang) and resumes it with its keys intact', async () => {
    const vault = await startPrivateVault();
    try {
      const options = { addr: vault.addr, body: { plaintext: 'aGVsbG8=' } };
      const path = `${TRANSIT_MOUNT}/encrypt/${TRANSIT_KEY}`;
      const { body } = await vaultApi(path, vault.restrictedToken, options);
      const hung = whileVaultPaused(() => vaultApi(path, vault.restrictedToken, { ...options, timeoutMs: 300 }), vault.pid);
      await expect(hung).rejects.toThrow(/timeout|aborted/i);
      const decrypted = await vaultApi(`${TRANSIT_MOUNT}/decrypt/${TRANSIT_KEY}`, vault.restrictedToken, {
        addr: vault.addr,
        body: { ciphertext: body?.data?.ciphertext },
      });
      expect(decrypted.body?.data?.plaintext).toBe('aGVsbG8=');
    } finally {
      await vault.stop();
    }
  });

  it('has a working grpcurl', async () => {
    const { stdout, stderr } = await promisify(execFile)(inject('grpcurlPath'), ['-version']);
    expect(`${stdout}${stderr}`).toContain('grpcurl');
  });
});
