/** The role that opens AdminService. */
export const ADMIN_ROLE = "wallet.admin";

/** Who is calling, as their verified token says. */
export interface Caller {
  readonly userId: string;
  readonly roles: readonly string[];
}

/** Who did something and from where, for the audit trail. */
export interface Actor {
  readonly userId: string;
  readonly ipAddress?: string;
  readonly userAgent?: string;
}

export function isAdmin(caller: Caller): boolean {
  return caller.roles.includes(ADMIN_ROLE);
}
