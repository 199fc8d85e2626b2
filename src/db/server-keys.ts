import { randomBytes } from "node:crypto";
import { defineEntity, type EntityManager, p } from "@mikro-orm/core";

/** Secrets the replicas share and make themselves, by name (table server_keys). */
export const ServerKeySchema = defineEntity({
  name: "ServerKey",
  tableName: "server_keys",
  properties: {
    name: p.string().length(50).primary(),
    key: p.blob(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});

/**
 * The key named `name`, 32 random bytes made by the first replica that asks:
 * it inserts its own and every replica (itself included) reads back the one
 * that won, so all of them sign and verify with the same key and nothing
 * needs configuring.
 */
export async function loadServerKey(em: EntityManager, name: string): Promise<Buffer> {
  const connection = em.getConnection();
  await connection.execute("insert into server_keys (name, key) values (?, ?) on conflict (name) do nothing", [name, randomBytes(32)]);
  const [row] = await connection.execute<{ key: Buffer }[]>("select key from server_keys where name = ?", [name]);
  if (!row) throw new Error(`server key ${name} is missing after its insert`);
  return row.key;
}
