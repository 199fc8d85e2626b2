import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { startTestService, type TestService } from '../support/service.js';

const logs = useLogCapture();
let svc: TestService;
let token: string;

beforeAll(async () => {
  svc = await startTestService(logs, { vault: false, env: { WALLET_UNARY_HANDLER: 'off' } });
  token = await svc.token();
});
afterAll(() => svc?.stop());

describe('WALLET_UNARY_HANDLER=off', () => {
  it.each(['connect-http1', 'connect-h2', 'grpc-web', 'grpc'] as const)('still serves unary calls over %s, errors with their reasons', async (protocol) => {
    const client = connectClient(WalletService, svc.baseUrl, token, protocol);
    const credentials = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}`, passphrase: '' };
    logs.registerSecret(credentials.apiKey, credentials.apiSecret);
    const created = await client.createExchangeAccount({ exchangeId: 'binance', accountName: `off-${protocol}`, credentials });
    expect((await client.getExchangeAccount({ id: created.exchangeAccount!.id })).exchangeAccount!.accountName).toBe(`off-${protocol}`);
    expect(await connectError(client.getExchangeAccount({ id: randomUUID() }))).toMatchObject({ code: 'NOT_FOUND', reason: 'EXCHANGE_ACCOUNT_NOT_FOUND' });
  });

  it('hands unary calls to connect-node, which reads a request before the interceptors', async () => {
    // The unary handler answers a JSON value of the wrong type VALIDATION_FAILED naming the field; connect-node its own error, without a reason.
    const res = await fetch(`${svc.baseUrl}/wallet.v1.WalletService/GetExchangeAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: 42 }),
    });
    const body = (await res.json()) as { code: string; details?: unknown[] };
    expect(body.code).toBe('invalid_argument');
    expect(body.details ?? []).toEqual([]);
  });
});
