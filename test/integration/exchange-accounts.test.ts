import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, toJsonString } from '@bufbuild/protobuf';
import { FieldMaskSchema } from '@bufbuild/protobuf/wkt';
import { AdminService } from '../../gen/wallet/v1/admin_service_pb.js';
import { SyncStatus } from '../../gen/wallet/v1/sync_pb.js';
import { CreateExchangeAccountResponseSchema, WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError, GrpcJsClient, grpcError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { startTestService, type TestService } from '../support/service.js';

const logs = useLogCapture();
let svc: TestService;
let grpcClient: GrpcJsClient;

beforeAll(async () => {
  svc = await startTestService(logs);
  grpcClient = new GrpcJsClient(WalletService, svc.port);
});
afterAll(async () => {
  grpcClient?.close();
  await svc?.stop();
});

/** Fresh credentials, registered so the log check fails if any of them is ever logged. */
function credentials(passphrase = true) {
  const c = {
    apiKey: `key-${randomUUID()}`,
    apiSecret: `secret-${randomUUID()}`,
    passphrase: passphrase ? `pass-${randomUUID()}` : '',
  };
  logs.registerSecret(c.apiKey, c.apiSecret, ...(passphrase ? [c.passphrase] : []));
  return c;
}

async function userClient(userId = randomUUID()) {
  const token = await svc.token(userId);
  return { userId, token, client: connectClient(WalletService, svc.baseUrl, token) };
}

describe('CreateExchangeAccount', () => {
  it('stores an account and answers it without any credential, over Connect and over grpc-js', async () => {
    const { userId, token, client } = await userClient();
    const creds = credentials();
    const res = await client.createExchangeAccount({ exchangeId: 'okx', accountName: 'main', credentials: creds, metadata: { desk: 'a' } });
    const account = res.exchangeAccount!;
    expect(account).toMatchObject({ userId, exchangeId: 'okx', accountName: 'main', isActive: true, hasPassphrase: true, syncStatus: SyncStatus.PENDING, metadata: { desk: 'a' } });
    expect(account.apiKeyHint).toBe(creds.apiKey.slice(-4));
    const json = toJsonString(CreateExchangeAccountResponseSchema, res);
    for (const secret of [creds.apiKey, creds.apiSecret, creds.passphrase]) expect(json).not.toContain(secret);

    const viaGrpc = await grpcClient.unary<{ exchangeAccount: { id: string; accountName: string } }>('GetExchangeAccount', { id: account.id }, token);
    expect(viaGrpc.exchangeAccount).toMatchObject({ id: account.id, accountName: 'main' });
  });

  it('keeps only ciphertexts bound to the account in the database: no credential in clear anywhere', async () => {
    const { client } = await userClient();
    const creds = credentials();
    const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'kucoin', accountName: 'at-rest', credentials: creds });
    const dump = await withPgClient(svc.database.url, async (pg) => {
      const tables = ['exchange_accounts', 'exchange_deposit_addresses', 'address_activity_log', 'address_sync_log', 'supported_exchanges'];
      const rows = await Promise.all(tables.map((t) => pg.query(`select * from ${t}`)));
      return JSON.stringify(rows.map((r) => r.rows));
    });
    for (const secret of [creds.apiKey, creds.apiSecret, creds.passphrase]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret).toString('base64'));
    }
    const row = await withPgClient(svc.database.url, (pg) => pg.query('select * from exchange_accounts where id = $1', [exchangeAccount!.id]));
    expect(row.rows[0].api_key_encrypted).toMatch(/^vault:v\d+:/);
    expect(row.rows[0].api_passphrase_encrypted).toMatch(/^vault:v\d+:/);
    expect(row.rows[0].credentials_key_version).toBeGreaterThanOrEqual(1);
    expect(row.rows[0].api_key_hint).toBe(creds.apiKey.slice(-4));
  });

  it('is idempotent on request_id: a retry answers the first account, and one row exists', async () => {
    const { client, userId } = await userClient();
    const requestId = randomUUID();
    const input = { exchangeId: 'binance', accountName: 'retry', credentials: credentials(false), requestId };
    const [a, b] = await Promise.all([client.createExchangeAccount(input), client.createExchangeAccount(input)]);
    const c = await client.createExchangeAccount(input);
    expect(b.exchangeAccount!.id).toBe(a.exchangeAccount!.id);
    expect(c.exchangeAccount!.id).toBe(a.exchangeAccount!.id);
    const count = await withPgClient(svc.database.url, (pg) => pg.query('select count(*)::int as n from exchange_accounts where user_id = $1', [userId]));
    expect(count.rows[0].n).toBe(1);
    const reused = await connectError(client.createExchangeAccount({ ...input, accountName: 'other' }));
    expect(reused).toMatchObject({ code: 'ALREADY_EXISTS', reason: 'REQUEST_ID_REUSED' });
  });

  it('refuses a second account with the same name on the same exchange', async () => {
    const { client } = await userClient();
    await client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'dup', credentials: credentials(false) });
    const err = await connectError(client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'dup', credentials: credentials(false) }));
    expect(err).toMatchObject({ code: 'ALREADY_EXISTS', reason: 'ACCOUNT_NAME_TAKEN' });
  });

  it('names every bad field in one INVALID_ARGUMENT with a BadRequest', async () => {
    const { client } = await userClient();
    const err = await connectError(
      client.createExchangeAccount({
        exchangeId: 'okx',
        accountName: '',
        credentials: { apiKey: 'short', apiSecret: '', passphrase: '' },
        metadata: { 'bad key!': 'x' },
        requestId: 'has spaces',
      }),
    );
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.reason).toBe('VALIDATION_FAILED');
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(
      ['account_name', 'credentials.api_key', 'credentials.api_secret', 'credentials.passphrase', 'metadata["bad key!"]', 'request_id'].sort(),
    );
  });

  it.each([
    ['exchange_id', { exchangeId: 'mtgox' }],
    ['exchange_id', { exchangeId: '' }],
    ['account_name', { accountName: 'x'.repeat(101) }],
    ['account_name', { accountName: 'tab\there' }],
    ['credentials', { credentials: undefined }],
    ['credentials.api_key', { credentials: { apiKey: 'k'.repeat(513), apiSecret: 's', passphrase: 'p' } }],
    ['credentials.api_secret', { credentials: { apiKey: 'kkkkkkkk', apiSecret: 's'.repeat(2049), passphrase: 'p' } }],
    ['credentials.passphrase', { credentials: { apiKey: 'kkkkkkkk', apiSecret: 's', passphrase: '' } }],
    ['sandbox_mode', { exchangeId: 'kucoin', sandboxMode: true }],
    ['metadata', { metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }],
    ['request_id', { requestId: 'r'.repeat(65) }],
  ])('answers INVALID_ARGUMENT naming %s', async (field, override) => {
    const { client } = await userClient();
    const base = { exchangeId: 'okx', accountName: 'ok', credentials: { apiKey: 'kkkkkkkk', apiSecret: 's', passphrase: 'p' } };
    const err = await connectError(client.createExchangeAccount({ ...base, ...override }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.fieldViolations.map((v) => v.field)).toEqual([field]);
  });

  it('requires a passphrase for okx, kucoin and coinbase only', async () => {
    const { client } = await userClient();
    for (const exchangeId of ['okx', 'kucoin', 'coinbase']) {
      const err = await connectError(client.createExchangeAccount({ exchangeId, accountName: 'np', credentials: credentials(false) }));
      expect(err.fieldViolations).toEqual([{ field: 'credentials.passphrase', description: `required for ${exchangeId}` }]);
    }
    for (const exchangeId of ['binance', 'kraken', 'bitfinex', 'huobi', 'bybit']) {
      const res = await client.createExchangeAccount({ exchangeId, accountName: 'np', credentials: credentials(false) });
      expect(res.exchangeAccount!.hasPassphrase).toBe(false);
    }
  });
});

describe('List, Get, Update, Delete', () => {
  it('pages the caller\'s accounts in creation order with opaque tokens', async () => {
    const { client } = await userClient();
    const names = Array.from({ length: 7 }, (_, i) => `acct-${i}`);
    for (const accountName of names) await client.createExchangeAccount({ exchangeId: 'bybit', accountName, credentials: credentials(false) });
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.listExchangeAccounts({ pageSize: 3, pageToken });
      expect(page.exchangeAccounts.length).toBeLessThanOrEqual(3);
      seen.push(...page.exchangeAccounts.map((a) => a.accountName));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(names);
    const bad = await connectError(client.listExchangeAccounts({ pageToken: 'bm90LWEtdG9rZW4' }));
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(['page_token']);
    const negative = await connectError(client.listExchangeAccounts({ pageSize: -1 }));
    expect(negative.fieldViolations.map((v) => v.field)).toEqual(['page_size']);
  });

  it('updates only the fields in update_mask and re-encrypts new credentials', async () => {
    const { client } = await userClient();
    const first = credentials(false);
    const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'binance', accountName: 'before', credentials: first, metadata: { a: '1' } });
    const id = exchangeAccount!.id;
    const before = await withPgClient(svc.database.url, (pg) => pg.query('select api_key_encrypted from exchange_accounts where id = $1', [id]));

    const renamed = await client.updateExchangeAccount({
      exchangeAccount: { id, accountName: 'after', metadata: { ignored: 'yes' } },
      updateMask: create(FieldMaskSchema, { paths: ['account_name'] }),
    });
    expect(renamed.exchangeAccount).toMatchObject({ accountName: 'after', metadata: { a: '1' } });

    const second = credentials(false);
    const rekeyed = await client.updateExchangeAccount({
      exchangeAccount: { id, credentials: second },
      updateMask: create(FieldMaskSchema, { paths: ['credentials'] }),
    });
    expect(rekeyed.exchangeAccount!.apiKeyHint).toBe(second.apiKey.slice(-4));
    const after = await withPgClient(svc.database.url, (pg) => pg.query('select api_key_encrypted from exchange_accounts where id = $1', [id]));
    expect(after.rows[0].api_key_encrypted).not.toBe(before.rows[0].api_key_encrypted);
    const stored = await svc.service.app.accounts.credentialsOf(await svc.service.app.accounts.get(exchangeAccount!.userId, id));
    expect(stored).toEqual({ apiKey: second.apiKey, apiSecret: second.apiSecret, passphrase: undefined });

    const noMask = await connectError(client.updateExchangeAccount({ exchangeAccount: { id, accountName: 'x' } }));
    expect(noMask.fieldViolations.map((v) => v.field)).toEqual(['update_mask']);
    const outputOnly = await connectError(
      client.updateExchangeAccount({ exchangeAccount: { id, apiKeyHint: 'zzzz' }, updateMask: create(FieldMaskSchema, { paths: ['api_key_hint'] }) }),
    );
    expect(outputOnly.fieldViolations.map((v) => v.field)).toEqual(['update_mask']);
    const badName = await connectError(
      client.updateExchangeAccount({ exchangeAccount: { id, accountName: '' }, updateMask: create(FieldMaskSchema, { paths: ['account_name'] }) }),
    );
    expect(badName.fieldViolations.map((v) => v.field)).toEqual(['exchange_account.account_name']);
  });

  it('deletes: the account is deactivated and gone from reads, its addresses soft-deleted with their audit kept', async () => {
    const { client, userId } = await userClient();
    const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'doomed', credentials: credentials(false) });
    const id = exchangeAccount!.id;
    const addressId = randomUUID();
    await withPgClient(svc.database.url, (pg) =>
      pg.query(
        `insert into exchange_deposit_addresses (id, exchange_account_id, user_id, exchange_id, currency, address, network) values ($1, $2, $3, 'kraken', 'BTC', 'bc1qexample', 'BTC')`,
        [addressId, id, userId],
      ),
    );
    const deleted = await client.deleteExchangeAccount({ id });
    expect(deleted.exchangeAccount).toMatchObject({ id, isActive: false });
    expect(deleted.exchangeAccount!.deleteTime).toBeDefined();
    expect((await connectError(client.getExchangeAccount({ id }))).code).toBe('NOT_FOUND');
    expect((await connectError(client.deleteExchangeAccount({ id }))).code).toBe('NOT_FOUND');
    expect((await client.listExchangeAccounts({})).exchangeAccounts).toHaveLength(0);
    expect((await client.listExchangeAccounts({ showDeleted: true })).exchangeAccounts.map((a) => a.id)).toEqual([id]);

    const rows = await withPgClient(svc.database.url, async (pg) => ({
      address: (await pg.query('select deleted_at, is_active from exchange_deposit_addresses where id = $1', [addressId])).rows[0],
      events: (await pg.query('select action, old_values, new_values from address_activity_log where address_id = $1', [addressId])).rows,
      account: (await pg.query('select api_key_encrypted from exchange_accounts where id = $1', [id])).rows[0],
    }));
    expect(rows.address.deleted_at).not.toBeNull();
    expect(rows.address.is_active).toBe(false);
    expect(rows.events).toEqual([{ action: 'deleted', old_values: { is_active: true, delete_time: null }, new_values: expect.objectContaining({ is_active: false }) }]);
    // A name freed by deletion can be used again.
    await client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'doomed', credentials: credentials(false) });
  });
});

describe('User isolation', () => {
  it('answers another user\'s account id exactly like a missing one, on every account RPC', async () => {
    const owner = await userClient();
    const other = await userClient();
    const { exchangeAccount } = await owner.client.createExchangeAccount({ exchangeId: 'bitfinex', accountName: 'mine', credentials: credentials(false) });
    const id = exchangeAccount!.id;
    const missing = randomUUID();
    const mask = create(FieldMaskSchema, { paths: ['account_name'] });
    const calls = (target: string) => [
      other.client.getExchangeAccount({ id: target }),
      other.client.updateExchangeAccount({ exchangeAccount: { id: target, accountName: 'stolen' }, updateMask: mask }),
      other.client.deleteExchangeAccount({ id: target }),
    ];
    const theirs = await Promise.all(calls(id).map(connectError));
    const none = await Promise.all(calls(missing).map(connectError));
    for (const [i, err] of theirs.entries()) {
      expect(err.code).toBe('NOT_FOUND');
      expect(err.reason).toBe(none[i]!.reason);
      expect(err.message.replace(id, 'ID')).toBe(none[i]!.message.replace(missing, 'ID'));
    }
    expect((await other.client.listExchangeAccounts({})).exchangeAccounts).toHaveLength(0);
    expect((await owner.client.getExchangeAccount({ id })).exchangeAccount!.accountName).toBe('mine');
  });

  it('rejects a malformed id as INVALID_ARGUMENT naming it, over grpc-js too', async () => {
    const { token } = await userClient();
    const err = await grpcError(grpcClient.unary('GetExchangeAccount', { id: 'not-a-uuid' }, token));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'VALIDATION_FAILED', fieldViolations: [{ field: 'id', description: 'must be a UUID' }] });
  });
});

describe('AdminService.ListAllExchangeAccounts', () => {
  it('lists every user\'s accounts to an admin, with filters, and refuses a non-admin', async () => {
    const a = await userClient();
    const b = await userClient();
    await a.client.createExchangeAccount({ exchangeId: 'huobi', accountName: 'a1', credentials: credentials(false) });
    await b.client.createExchangeAccount({ exchangeId: 'huobi', accountName: 'b1', credentials: credentials(false) });
    await b.client.createExchangeAccount({ exchangeId: 'bybit', accountName: 'b2', credentials: credentials(false) });
    const admin = connectClient(AdminService, svc.baseUrl, await svc.token(randomUUID(), { admin: true }));

    const byUser = await admin.listAllExchangeAccounts({ userId: b.userId });
    expect(byUser.exchangeAccounts.map((x) => x.accountName).sort()).toEqual(['b1', 'b2']);
    const byExchange = await admin.listAllExchangeAccounts({ userId: b.userId, exchangeId: 'bybit' });
    expect(byExchange.exchangeAccounts.map((x) => x.accountName)).toEqual(['b2']);
    const pending = await admin.listAllExchangeAccounts({ userId: a.userId, syncStatus: SyncStatus.PENDING });
    expect(pending.exchangeAccounts).toHaveLength(1);
    const failed = await admin.listAllExchangeAccounts({ userId: a.userId, syncStatus: SyncStatus.FAILED });
    expect(failed.exchangeAccounts).toHaveLength(0);

    const bad = await connectError(admin.listAllExchangeAccounts({ userId: 'nope', exchangeId: 'mtgox' }));
    expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual(['exchange_id', 'user_id']);

    const notAdmin = connectClient(AdminService, svc.baseUrl, a.token);
    expect(await connectError(notAdmin.listAllExchangeAccounts({}))).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'ADMIN_ROLE_REQUIRED' });
  });
});

describe('Catalogue', () => {
  it('lists the eight supported exchanges with their catalogue rows', async () => {
    const { client } = await userClient();
    const { exchanges, nextPageToken } = await client.listSupportedExchanges({});
    expect(nextPageToken).toBe('');
    expect(exchanges.map((e) => e.id).sort()).toEqual(['binance', 'bitfinex', 'bybit', 'coinbase', 'huobi', 'kraken', 'kucoin', 'okx']);
    expect(exchanges.find((e) => e.id === 'huobi')).toMatchObject({ ccxtId: 'htx', requiresPassphrase: false });
    expect(exchanges.find((e) => e.id === 'coinbase')).toMatchObject({ ccxtId: 'coinbaseexchange', requiresPassphrase: true, sandboxAvailable: true });
    const firstPage = await client.listSupportedExchanges({ pageSize: 5 });
    const secondPage = await client.listSupportedExchanges({ pageSize: 5, pageToken: firstPage.nextPageToken });
    expect([...firstPage.exchanges, ...secondPage.exchanges].map((e) => e.id)).toEqual(exchanges.map((e) => e.id));
  });

  it('tells an exchange\'s capabilities, and names a bad exchange_id', async () => {
    const { client } = await userClient();
    const coinbase = await client.getExchangeInfo({ exchangeId: 'coinbase' });
    expect(coinbase.capabilities).toMatchObject({ fetchDepositAddress: false, createDepositAddress: true });
    const binance = await client.getExchangeInfo({ exchangeId: 'binance' });
    expect(binance.capabilities).toMatchObject({ fetchDepositAddress: true, createDepositAddress: false });
    expect(binance.exchange!.rateLimitPerMinute).toBeGreaterThan(0);
    const err = await connectError(client.getExchangeInfo({ exchangeId: 'nope' }));
    expect(err.fieldViolations.map((v) => v.field)).toEqual(['exchange_id']);
  });
});
