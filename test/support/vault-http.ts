/** A Vault HTTP API answer: status and parsed JSON body (undefined when empty). */
export interface VaultResponse {
  status: number;
  body: { data?: Record<string, unknown>; auth?: Record<string, unknown>; errors?: string[] } | undefined;
}

/**
 * Calls the Vault/OpenBao HTTP API with plain fetch, so test setup and assertions need neither
 * the CLI nor the client the service uses (whose behaviour is what tests examine).
 */
export async function vaultRequest(
  addr: string,
  path: string,
  token: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<VaultResponse> {
  const response = await fetch(`${addr}/v1/${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as VaultResponse['body']) };
}
