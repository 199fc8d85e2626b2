import { inject } from 'vitest';
import { vaultRequest, type VaultResponse } from './vault-http.js';
import { startVaultServer, type VaultServer } from './vault-server.js';
import './provided-context.js';

/**
 * Makes Vault unreachable (connections hang) while keeping its in-memory keys. Test files run in
 * parallel: pausing the shared server (the default pid) stalls every file using it at that time,
 * so a file that pauses should use startPrivateVault() and pass its pid. Pair with resumeVault()
 * in `finally`, or use whileVaultPaused().
 */
export function pauseVault(pid: number = inject('vaultPid')): void {
  process.kill(pid, 'SIGSTOP');
}

/** Undoes pauseVault(). */
export function resumeVault(pid: number = inject('vaultPid')): void {
  process.kill(pid, 'SIGCONT');
}

/** Runs `work` with Vault paused and always resumes it. */
export async function whileVaultPaused<T>(work: () => Promise<T>, pid: number = inject('vaultPid')): Promise<T> {
  pauseVault(pid);
  try {
    return await work();
  } finally {
    resumeVault(pid);
  }
}

/** A bao dev server of this test file's own (~0.2 s to start); stop it in afterAll. */
export function startPrivateVault(): Promise<VaultServer> {
  return startVaultServer(inject('baoPath'));
}

/** Reads or writes the Vault API directly, e.g. to check what the service stored, or that a token is denied. */
export function vaultApi(
  path: string,
  token: string,
  init: { method?: string; body?: unknown; addr?: string; timeoutMs?: number } = {},
): Promise<VaultResponse> {
  return vaultRequest(init.addr ?? inject('vaultAddr'), path, token, init);
}
