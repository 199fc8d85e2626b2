// What global-setup.ts hands to every test file through vitest's provide/inject. Helpers that
// call inject() import this file, so the keys are typed wherever they are used.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's throw-away cluster; use createTestDatabase() for a database. */
    databaseAdminUrl: string;
    vaultAddr: string;
    vaultRootToken: string;
    /** May only encrypt/decrypt with `transit/…/wallet-credentials`: give this to the service. */
    vaultRestrictedToken: string;
    /** PID of the shared bao server, for pauseVault()/resumeVault(). */
    vaultPid: number;
    /** For startPrivateVault(). */
    baoPath: string;
    grpcurlPath: string;
  }
}

export {};
