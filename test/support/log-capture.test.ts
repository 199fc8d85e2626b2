import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { findSecrets, useLogCapture } from './log-capture.js';

const logs = useLogCapture();
const secret = 'sk-live-9f8e7d6c5b4a';

describe('log capture', () => {
  it('collects the JSON lines of every logger given one of its streams', () => {
    logs.registerSecret(secret);
    pino({ base: null }, logs.stream()).info({ accountId: 'a1' }, 'first');
    pino({ base: null }, logs.stream()).warn('second');
    expect(logs.entries().map((entry) => entry.msg)).toEqual(['first', 'second']);
    expect(logs.allLines()).toHaveLength(2);
  });

  it('finds a secret raw, JSON-escaped, URL-encoded and inside base64 at any alignment', () => {
    const quoted = 'pa"ss\\wo rd!';
    const inBase64 = (prefix: string): string => Buffer.from(`${prefix}{"apiSecret":"${secret}"}`).toString('base64');
    const lines = [
      `{"msg":"${secret}"}`,
      JSON.stringify({ msg: quoted }),
      `GET /?key=${encodeURIComponent(quoted)}`,
      `{"plaintext":"${inBase64('')}"}`,
      `{"plaintext":"${inBase64('x')}"}`,
      `{"plaintext":"${inBase64('xy')}"}`,
      '{"msg":"nothing to see"}',
    ];
    const found = findSecrets(lines, [secret, quoted]);
    expect(found).toHaveLength(6);
    expect(found.join('\n')).not.toContain(secret);
    expect(found[0]).toBe('{"msg":"[SECRET 0]"}');
  });

  it('refuses secrets too short to scan for', () => {
    expect(() => {
      logs.registerSecret('short');
    }).toThrow(/8\+ characters/);
  });
});
