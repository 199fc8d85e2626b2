import { Writable } from 'node:stream';
import { afterAll, expect } from 'vitest';

/** Everything the services of one test file logged, and the secrets none of it may contain. */
export interface LogCapture {
  /** A new destination for one service instance's logger: `pino({ level: 'trace' }, logs.stream())`. */
  stream(): Writable;
  /** Every line captured so far, from all streams of this capture, in order. */
  allLines(): string[];
  /** The lines that are JSON objects (pino entries), parsed. */
  entries(): Record<string, unknown>[];
  /** Values that must never be logged: API keys and secrets, tokens, passphrases (8+ characters). */
  registerSecret(...secrets: string[]): void;
}

/**
 * Call once at the top level of a test file. The returned capture collects the lines of every
 * service the file starts, and an afterAll fails the file if any of them contains a registered
 * secret, whether raw, JSON-escaped, URL-encoded or inside base64 (as in a transit request).
 */
export function useLogCapture(): LogCapture {
  const lines: string[] = [];
  const partials = new Set<{ text: string }>();
  const secrets = new Set<string>();
  afterAll(() => {
    const leaks = findSecrets([...lines, ...[...partials].map((p) => p.text)], [...secrets]);
    expect(leaks, 'log lines containing a registered secret').toEqual([]);
  });
  return {
    stream: () => lineStream(lines, partials),
    allLines: () => [...lines, ...[...partials].map((p) => p.text).filter((text) => text !== '')],
    entries: () => lines.flatMap(parseObject),
    registerSecret: (...values) => {
      for (const value of values) {
        if (value.length < 8) throw new Error('registerSecret: use secrets of 8+ characters, or matches are noise');
        secrets.add(value);
      }
    },
  };
}

/** Lines containing one of `secrets`, each with the secret masked so the report itself leaks nothing. */
export function findSecrets(lines: string[], secrets: string[]): string[] {
  const forms = secrets.map((secret, index) => ({ index, forms: encodedForms(secret) }));
  return lines.flatMap((line) => {
    const found = forms.filter(({ forms }) => forms.some((form) => line.includes(form)));
    if (found.length === 0) return [];
    let masked = line;
    for (const { index, forms } of found) for (const form of forms) masked = masked.replaceAll(form, `[SECRET ${index}]`);
    return [masked];
  });
}

function encodedForms(secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];
  const bytes = Buffer.from(secret);
  // Inside a longer base64 text the secret starts at byte offset 0, 1 or 2 of a 3-byte group:
  // encode each alignment and keep only the characters that depend on the secret alone.
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const inner = encoded.slice(offset === 0 ? 0 : offset + 1, Math.floor(((offset + bytes.length) * 8) / 6));
    forms.push(inner, inner.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...new Set(forms)].filter((form) => form.length >= 6);
}

function lineStream(lines: string[], partials: Set<{ text: string }>): Writable {
  const partial = { text: '' };
  partials.add(partial);
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      const parts = (partial.text + chunk.toString()).split('\n');
      partial.text = parts.pop() ?? '';
      lines.push(...parts);
      done();
    },
  });
}

function parseObject(line: string): Record<string, unknown>[] {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}
