import type { ReactNode } from "react";
import { Suspense } from "react";
import { Placeholder } from "./Notice";

/** Shown while a view loaded on first use (its graph or chart library) is still arriving. */
export function ViewSuspense({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Placeholder>Loading…</Placeholder>}>{children}</Suspense>;
}
