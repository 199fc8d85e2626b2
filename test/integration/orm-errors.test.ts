import { afterAll, beforeAll, expect, it } from 'vitest';
import { initORM, type MikroORM } from '../../src/db/orm.js';
import { serializeError } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let orm: MikroORM;
beforeAll(async () => {
  db = await createTestDatabase();
  orm = await initORM(db.url, { migrate: true });
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

it('logs a refused statement without its values: no ciphertext reaches the log line of an unexpected database error', async () => {
  const ciphertext = 'vault:v1:c2VjcmV0LWNpcGhlcnRleHQtb2YtYW4tYXBpLWtleQ==';
  const err = await orm.em
    .fork()
    .getConnection()
    .execute('insert into exchange_accounts (user_id, exchange_id, account_name, api_key_encrypted, api_secret_encrypted, api_key_hint) values (?, ?, ?, ?, ?, ?)', [
      'not-a-uuid', 'okx', 'main', ciphertext, ciphertext, 'abcd',
    ])
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  const logged = JSON.stringify(serializeError(err));
  expect(JSON.parse(logged)).toMatchObject({ message: 'insert into exchange_accounts … - invalid input syntax for type uuid: "…"' });
  expect(logged).toContain('at '); // the stack is kept, with the same message
  expect(logged).not.toContain(ciphertext);
  expect(logged).not.toContain('not-a-uuid');
});
