import { ConfigError, loadConfig } from "./config.js";
import { startService } from "./service.js";

// Start-up: config, service, and the signals. Everything else is in service.ts.
let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`wallet: configuration error: ${err.message}\n`);
  process.exit(1);
}

const service = await startService(config).catch((err: unknown) => {
  process.stderr.write(`wallet: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) {
      service.logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    service.logger.info({ signal }, "shutting down");
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
