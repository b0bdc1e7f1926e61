import type { ReactNode } from "react";
import { trpc } from "../trpc";
import { SignInView } from "../views/SignIn/SignInView";
import { Placeholder } from "./Notice";

/** Who is signed in; shared by the gate and the header through one cached query. */
export function useSession() {
  return trpc.auth.session.useQuery(undefined, { staleTime: 60_000 });
}

/**
 * Shows the sign-in form in place of the views while no one is signed in. When the API cannot be
 * reached the views render anyway, so their own error states (and the banner) say what is wrong.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const session = useSession();
  if (session.isPending) return <Placeholder>Loading…</Placeholder>;
  if (session.data === null) return <SignInView />;
  return children;
}
