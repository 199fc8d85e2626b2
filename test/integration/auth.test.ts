import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/wallet/v1/admin_service_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError, GrpcJsClient, grpcError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { startTestService, type TestService } from '../support/service.js';

const logs = useLogCapture();
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService(logs, { vault: false });
});
afterAll(() => svc?.stop());

const wallet = (token?: string) => connectClient(WalletService, svc.baseUrl, token);

describe('bearer tokens (HS256)', () => {
  it('answers UNAUTHENTICATED to a call without a token, over Connect and grpc-js', async () => {
    expect(await connectError(wallet().listExchangeAccounts({}))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    const grpc = new GrpcJsClient(WalletService, svc.port);
    try {
      expect(await grpcError(grpc.unary('ListExchangeAccounts', {}))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    } finally {
      grpc.close();
    }
  });

  it('answers UNAUTHENTICATED to an expired, forged, tampered, unsigned or sub-less token', async () => {
    const expired = await svc.token(randomUUID(), { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect(await connectError(wallet(expired).listExchangeAccounts({}))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });

    const forged = await svc.token(randomUUID(), { secret: 'an-attacker-secret-of-at-least-32-bytes!' });
    expect(await connectError(wallet(forged).listExchangeAccounts({}))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });

    const good = await svc.token();
    const [header, , signature] = good.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: randomUUID(), roles: ['wallet.admin'], exp: 9999999999 })).toString('base64url');
    expect((await connectError(wallet(`${header}.${payload}.${signature}`).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');

    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect((await connectError(wallet(none).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');

    const notUuid = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(new TextEncoder().encode(svc.jwtSecret));
    logs.registerSecret(notUuid);
    expect((await connectError(wallet(notUuid).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');

    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID()).sign(new TextEncoder().encode(svc.jwtSecret));
    logs.registerSecret(noExp);
    expect((await connectError(wallet(noExp).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');
  });

  it('opens AdminService to the wallet.admin role only, on every AdminService RPC', async () => {
    const user = connectClient(AdminService, svc.baseUrl, await svc.token());
    for (const call of [() => user.listAllExchangeAccounts({}), () => user.getSyncStatus({}), () => user.forceSync({}), () => user.getAnalytics({})]) {
      expect(await connectError(call())).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'ADMIN_ROLE_REQUIRED' });
    }
    const admin = connectClient(AdminService, svc.baseUrl, await svc.token(randomUUID(), { admin: true }));
    await expect(admin.listAllExchangeAccounts({})).resolves.toBeDefined();
  });

  it('leaves health checks and reflection open, as load balancers and grpcurl need', async () => {
    const health = connectClient(Health, svc.baseUrl, undefined);
    expect((await health.check({})).status).toBe(1);
  });
});

describe('issuer and audience', () => {
  let checked: TestService;
  beforeAll(async () => {
    checked = await startTestService(logs, { vault: false, env: { WALLET_JWT_ISSUER: 'https://id.example', WALLET_JWT_AUDIENCE: 'wallet' } });
  });
  afterAll(() => checked?.stop());

  it('accepts the configured iss and aud and refuses others', async () => {
    const ok = await checked.token();
    await expect(connectClient(WalletService, checked.baseUrl, ok).listExchangeAccounts({})).resolves.toBeDefined();
    for (const opts of [{ issuer: 'https://evil.example' }, { audience: 'other' }]) {
      const bad = await checked.token(randomUUID(), opts);
      expect((await connectError(connectClient(WalletService, checked.baseUrl, bad).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');
    }
  });
});

describe('public keys', () => {
  it('verifies RS256 with WALLET_JWT_PUBLIC_KEY and refuses an HS256 token signed with that public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const keyed = await startTestService(logs, { vault: false, env: { WALLET_JWT_PUBLIC_KEY: pem, WALLET_JWT_SECRET: '' } });
    try {
      const token = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'RS256' }).setSubject(randomUUID()).setExpirationTime('1h').sign(privateKey);
      logs.registerSecret(token);
      await expect(connectClient(WalletService, keyed.baseUrl, token).listExchangeAccounts({})).resolves.toBeDefined();
      const confused = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID()).setExpirationTime('1h').sign(new TextEncoder().encode(pem));
      logs.registerSecret(confused);
      expect((await connectError(connectClient(WalletService, keyed.baseUrl, confused).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');
    } finally {
      await keyed.stop();
    }
  });

  it('verifies ES256 against a JWKS endpoint', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    const keyed = await startTestService(logs, { vault: false, env: { WALLET_JWT_JWKS_URL: url, WALLET_JWT_SECRET: '' } });
    try {
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(randomUUID()).setExpirationTime('1h').sign(privateKey);
      logs.registerSecret(token);
      await expect(connectClient(WalletService, keyed.baseUrl, token).listExchangeAccounts({})).resolves.toBeDefined();
      const other = await generateKeyPair('ES256');
      const wrong = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(randomUUID()).setExpirationTime('1h').sign(other.privateKey);
      logs.registerSecret(wrong);
      expect((await connectError(connectClient(WalletService, keyed.baseUrl, wrong).listExchangeAccounts({}))).reason).toBe('TOKEN_INVALID');
    } finally {
      await keyed.stop();
      jwks.close();
    }
  });
});
