import { pino } from 'pino';
import { it } from 'vitest';
import { useLogCapture } from '../log-capture.js';

const logs = useLogCapture();

it('logs a registered secret, which the afterAll guard must catch', () => {
  const apiSecret = 'canary-secret-1234';
  logs.registerSecret(apiSecret);
  pino(logs.stream()).info({ request: { plaintext: Buffer.from(`{"apiSecret":"${apiSecret}"}`).toString('base64') } }, 'encrypting');
});
