import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * Paths pino blanks wherever a credential-shaped value could sit. A second
 * line of defence: the first is that no credential is ever put into a log
 * object, and every third-party error is wrapped (see serializeError).
 */
const REDACT_PATHS = [
  "apiKey", "api_key", "secret", "api_secret", "apiSecret", "passphrase", "password", "token", "authorization", "credentials",
  "*.apiKey", "*.api_key", "*.secret", "*.api_secret", "*.apiSecret", "*.passphrase", "*.password", "*.token",
  "*.authorization", "*.credentials", "*.headers", "*.config",
];

/**
 * Builds the service's JSON logger; `destination` lets tests capture every line.
 * Stdout is written synchronously, as Node writes it to pipes and files: pino's
 * default asynchronous writer can still hold a chunk when the process exits, and
 * its exit flush then drops it or writes later lines first.
 */
export function createLogger(level: string, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { service: "wallet" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * Serializes an error by its name, message, stack, reason and cause only.
 * pino's default copies every enumerable property, which for axios errors
 * (node-vault) includes the request headers and so the Vault token.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const message = withoutStatement(err.message);
  const stack = message === err.message ? err.stack : err.stack?.replace(err.message, message);
  const out: Record<string, unknown> = { type: err.name, message, stack };
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === "string") out.reason = reason;
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * A database error's message without the statement's values. knex (through
 * MikroORM, which binds the values into the SQL first) prefixes PostgreSQL's
 * message with the whole failed statement, values included — ciphertexts,
 * addresses — and PostgreSQL quotes the offending value in its own. What is
 * kept: the statement's kind and table, and PostgreSQL's message with the
 * values it quotes blanked.
 */
function withoutStatement(message: string): string {
  if (!/^\s*(select|insert|update|delete|with)\b/i.test(message)) return message;
  const at = message.lastIndexOf(" - ");
  const target = /\b(insert into|update|delete from|from)\s+"?([\w.]+)"?/i.exec(message);
  const statement = target ? `${target[1]!.toLowerCase()} ${target[2]}` : "a statement";
  // PostgreSQL quotes identifiers after their kind (relation "x") and a bad value after a colon (type uuid: "x").
  const complaint = at < 0 ? "" : message.slice(at + 3).replace(/: "[^"]*"/g, ': "…"').replace(/'[^']*'/g, "'…'");
  return `${statement} … - ${complaint}`;
}

/** Replaces every occurrence of the given secrets (ignoring short ones) in a text by "***". */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}
