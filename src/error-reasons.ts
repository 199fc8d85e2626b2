/**
 * Every reason the service puts into a google.rpc.ErrorInfo (and into a sync
 * item's or run's error_reason), with its gRPC code and when it comes: the
 * one list clients can rely on. DomainError takes only these, so a new
 * reason is added here first; README's "Error reasons" table is checked
 * against this list by a test.
 */
export const ERROR_REASONS = {
  VALIDATION_FAILED: { code: "INVALID_ARGUMENT", when: "a request field is wrong or malformed; the BadRequest names each" },
  TOKEN_MISSING: { code: "UNAUTHENTICATED", when: "no bearer token" },
  TOKEN_EXPIRED: { code: "UNAUTHENTICATED", when: "the bearer token has expired" },
  TOKEN_INVALID: { code: "UNAUTHENTICATED", when: "the bearer token does not verify, or its sub is not a user UUID" },
  IDENTITY_KEYS_UNAVAILABLE: { code: "UNAVAILABLE", when: "the JWKS cannot be fetched" },
  ADMIN_ROLE_REQUIRED: { code: "PERMISSION_DENIED", when: "AdminService without the wallet.admin role" },
  EXCHANGE_ACCOUNT_NOT_FOUND: { code: "NOT_FOUND", when: "no such account of the caller (another user's answers the same)" },
  DEPOSIT_ADDRESS_NOT_FOUND: { code: "NOT_FOUND", when: "no such address of the caller (another user's answers the same)" },
  SERVICE_UNKNOWN: { code: "NOT_FOUND", when: "health of a service this server does not serve" },
  ACCOUNT_NAME_TAKEN: { code: "ALREADY_EXISTS", when: "the caller has a live account of that name on the exchange" },
  REQUEST_ID_REUSED: { code: "ALREADY_EXISTS", when: "a request_id already used for another request" },
  ACCOUNT_INACTIVE: { code: "FAILED_PRECONDITION", when: "an exchange operation on a deactivated account" },
  ACCOUNT_REQUIRED: { code: "FAILED_PRECONDITION", when: "reading an exchange's currencies needs one of the caller's accounts there" },
  EXCHANGE_NOT_SUPPORTED: { code: "FAILED_PRECONDITION", when: "the exchange cannot do this (Coinbase cannot read existing addresses)" },
  CURRENCY_NOT_SUPPORTED: { code: "INVALID_ARGUMENT, FAILED_PRECONDITION", when: "the exchange does not list the currency, or takes no deposits of it now" },
  NETWORK_REQUIRED: { code: "INVALID_ARGUMENT", when: "the currency has several deposit networks; metadata networks lists them" },
  NETWORK_NOT_SUPPORTED: { code: "INVALID_ARGUMENT", when: "the currency takes no deposits on that network there" },
  DEPOSIT_ADDRESS_NOT_PROVISIONED: { code: "FAILED_PRECONDITION", when: "no address exists on the exchange and it cannot create one through its API" },
  DEPOSIT_ADDRESS_INVALID: { code: "FAILED_PRECONDITION", when: "the exchange answered an address that fails its network's format, checksum or tag rules; not stored" },
  DEPOSIT_TAG_MISSING: { code: "UNAVAILABLE", when: "the exchange answered a tag network's address without its tag; not stored" },
  EXCHANGE_CREDENTIALS_INVALID: { code: "FAILED_PRECONDITION", when: "the exchange refused the key, secret or passphrase" },
  EXCHANGE_KEY_PERMISSION_MISSING: { code: "FAILED_PRECONDITION", when: "the key lacks a permission the call needs" },
  EXCHANGE_KEY_CAN_WITHDRAW: { code: "FAILED_PRECONDITION", when: "WALLET_KEY_POLICY=strict: the key can withdraw" },
  EXCHANGE_KEY_PERMISSIONS_UNKNOWN: { code: "FAILED_PRECONDITION", when: "WALLET_KEY_POLICY=strict: the exchange's answer about the key could not be read" },
  EXCHANGE_RATE_LIMITED: { code: "RESOURCE_EXHAUSTED", when: "the exchange's rate limit; RetryInfo says how long to wait" },
  EXCHANGE_UNAVAILABLE: { code: "UNAVAILABLE", when: "the exchange does not answer, or not properly; RetryInfo" },
  EXCHANGE_MAINTENANCE: { code: "UNAVAILABLE", when: "the exchange says it is under maintenance; RetryInfo" },
  EXCHANGE_API_ERROR: { code: "FAILED_PRECONDITION, UNAVAILABLE", when: "the exchange refused the request otherwise, or answered it without what it must hold" },
  SYNC_IN_PROGRESS: { code: "ABORTED", when: "a sync of the account runs already, on any replica" },
  SYNC_INTERRUPTED: { code: "—", when: "(a sync run's failure) the service stopped during the run" },
  OPERATION_IN_PROGRESS: { code: "ABORTED", when: "another creation of the same address took longer than the wait; RetryInfo" },
  TOO_MANY_OPERATIONS: { code: "RESOURCE_EXHAUSTED", when: "more operations waiting on exchanges than the replica holds locks for; RetryInfo" },
  CREDENTIAL_STORE_UNAVAILABLE: { code: "UNAVAILABLE", when: "Vault cannot be reached; RetryInfo" },
  CREDENTIALS_UNREADABLE: { code: "FAILED_PRECONDITION", when: "the stored credentials do not decrypt; set new ones" },
  DATABASE_UNAVAILABLE: { code: "UNAVAILABLE", when: "PostgreSQL cannot be reached or every pool connection is in use; RetryInfo" },
  INTERNAL: { code: "INTERNAL", when: "anything unexpected; only the log keeps the cause" },
} as const satisfies Record<string, { readonly code: string; readonly when: string }>;

/** A reason of ERROR_REASONS. */
export type ErrorReason = keyof typeof ERROR_REASONS;
