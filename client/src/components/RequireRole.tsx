import { hasRole, type Role } from "@conveyor/shared";
import type { ReactNode } from "react";
import { useSession } from "./SessionGate";

/*
 * Actions a caller's role does not allow are left out of the page rather than shown and refused:
 * a viewer sees no enqueue form, no cancel button. The API still checks every call; this only
 * keeps the UI from offering what would fail with FORBIDDEN.
 */

/** Whether the signed-in caller holds `required` or a higher role; false while no one is known. */
export function useCan(required: Role): boolean {
  const session = useSession();
  return session.data ? hasRole(session.data.role, required) : false;
}

interface RequireRoleProps {
  /** The lowest role that may see `children`. (Not `role`: that name is the ARIA attribute's.) */
  atLeast: Role;
  /** Shown instead to a caller without the role; nothing by default. */
  fallback?: ReactNode;
  children: ReactNode;
}

/** Renders `children` only for callers holding `atLeast` or a higher role, `fallback` for anyone else. */
export function RequireRole({ atLeast, fallback = null, children }: RequireRoleProps) {
  return useCan(atLeast) ? children : fallback;
}
