import { useSyncExternalStore } from "react";
import type { BaseLocationHook } from "wouter";

/*
 * Routes live entirely in the hash, query included (`#/runs?status=failed`), so a view and its
 * filters are one shareable link and the server only ever serves `/`. wouter's own hash hook keeps
 * the query outside the hash, where it would leak from one view into the next.
 */

function subscribe(onChange: () => void): () => void {
  addEventListener("hashchange", onChange);
  return () => removeEventListener("hashchange", onChange);
}

/** The hash without its `#`, always starting with `/`. */
function hashTarget(): string {
  return `/${location.hash.replace(/^#?\/?/, "")}`;
}

function currentPath(): string {
  return hashTarget().split("?")[0] ?? "/";
}

function currentSearch(): string {
  const target = hashTarget();
  const start = target.indexOf("?");
  return start === -1 ? "" : target.slice(start + 1);
}

export function navigate(to: string, options?: { replace?: boolean }): void {
  const hash = `#${to.startsWith("/") ? to : `/${to}`}`;
  if (hash === location.hash) return;
  if (options?.replace) {
    history.replaceState(history.state, "", hash);
    dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

/** A wouter location hook for routes held in `location.hash`. */
export const useHashLocation: BaseLocationHook = () => [useSyncExternalStore(subscribe, currentPath), navigate];

useHashLocation.searchHook = () => useSyncExternalStore(subscribe, currentSearch);
useHashLocation.hrefs = (href: string) => `#${href}`;
