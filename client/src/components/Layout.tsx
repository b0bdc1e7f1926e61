import type { Role } from "@conveyor/shared";
import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useSignOut } from "../session";
import { trpc } from "../trpc";
import { LiveStatus } from "./LiveStatus";
import { ErrorBanner } from "./Notice";
import { RequireRole } from "./RequireRole";
import { useSession } from "./SessionGate";

interface NavItem {
  href: string;
  label: string;
  isActive: (path: string) => boolean;
  /** The lowest role the item is offered to; shown to everyone when absent. */
  atLeast?: Role;
}

const navItems: NavItem[] = [
  {
    href: "/",
    label: "Enqueue",
    isActive: (path) => path === "/" || path.startsWith("/enqueue"),
    atLeast: "operator",
  },
  { href: "/runs", label: "Runs", isActive: (path) => path.startsWith("/runs") },
  { href: "/flows", label: "Flows", isActive: (path) => path.startsWith("/flows") },
  { href: "/schedules", label: "Schedules", isActive: (path) => path.startsWith("/schedules") },
  { href: "/workers", label: "Workers", isActive: (path) => path.startsWith("/workers") },
  { href: "/overview", label: "Overview", isActive: (path) => path.startsWith("/overview") },
  { href: "/examples/users", label: "Examples", isActive: (path) => path.startsWith("/examples") },
];

/** Polls `health`, so a stopped API or database shows on every view, not only where a query failed. */
function ApiStatus() {
  const health = trpc.health.useQuery(undefined, { refetchInterval: 5_000, retry: false });
  if (!health.isError) return null;
  return <ErrorBanner title="The Conveyor API is unreachable; retrying." error={health.error} testId="api-error" />;
}

function SessionStatus() {
  const session = useSession();
  const signOut = useSignOut();
  if (!session.data) return null;
  return (
    <div className="session">
      <span className="muted" data-testid="session">
        {session.data.name} · {session.data.role}
      </span>
      <button type="button" className="button-small" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const [path] = useLocation();
  return (
    <>
      <header className="header">
        <div className="header-inner">
          <Link href="/" className="brand">
            Conveyor
          </Link>
          <nav aria-label="Main">
            <ul className="nav">
              {navItems.map((item) => {
                const entry = (
                  <li key={item.href}>
                    <Link href={item.href} aria-current={item.isActive(path) ? "page" : undefined}>
                      {item.label}
                    </Link>
                  </li>
                );
                return item.atLeast ? (
                  <RequireRole key={item.href} atLeast={item.atLeast}>
                    {entry}
                  </RequireRole>
                ) : (
                  entry
                );
              })}
            </ul>
          </nav>
          <div className="header-end">
            <LiveStatus />
            <SessionStatus />
          </div>
        </div>
      </header>
      <main className="main">
        <ApiStatus />
        {children}
      </main>
    </>
  );
}
