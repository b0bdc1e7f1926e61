import { useSearchParams } from "wouter";

/**
 * Sets some of the URL's search params, keeping the others; an empty value removes its param. The
 * history entry is replaced, so Back leaves the view rather than stepping through every change.
 */
export function useSetSearchParams(): (changes: Partial<Record<string, string>>) => void {
  const [, setParams] = useSearchParams();
  return (changes) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [name, value] of Object.entries(changes)) {
          if (value) next.set(name, value);
          else next.delete(name);
        }
        return next;
      },
      { replace: true },
    );
}
