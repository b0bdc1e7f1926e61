import { useCallback, useEffect, useRef } from "react";

/** A hidden tab gets no animation frames; its queue is still drained, this often. */
const hiddenFlushMs = 1_000;
/**
 * A visible tab that is not the focused one may get as little as a frame a second (Chromium
 * throttles them): a timer drains the queue by then if no frame came.
 */
const frameFallbackMs = 250;

interface PendingFlush {
  isFrame: boolean;
  cancel: () => void;
}

/**
 * Collects items pushed in quick succession (a live message's batch at a time) and hands them to
 * `apply` together, once per animation frame, so a fast stream costs one render per frame rather
 * than one per message.
 */
export function useFrameBatch<T>(apply: (items: T[]) => void): (items: readonly T[]) => void {
  const applyRef = useRef(apply);
  useEffect(() => {
    applyRef.current = apply;
  });
  const queue = useRef<T[]>([]);
  const pending = useRef<PendingFlush | null>(null);

  useEffect(
    () => () => {
      pending.current?.cancel();
      pending.current = null;
      queue.current = [];
    },
    [],
  );

  return useCallback((items: readonly T[]) => {
    queue.current.push(...items);
    // A frame requested while visible never comes once the tab is hidden: switch to a timer.
    if (pending.current && !(pending.current.isFrame && document.hidden)) return;
    pending.current?.cancel();
    const flush = () => {
      pending.current = null;
      const items = queue.current;
      queue.current = [];
      if (items.length > 0) applyRef.current(items);
    };
    if (document.hidden) {
      const timer = setTimeout(flush, hiddenFlushMs);
      pending.current = { isFrame: false, cancel: () => clearTimeout(timer) };
    } else {
      const frame = requestAnimationFrame(() => {
        clearTimeout(fallback);
        flush();
      });
      const fallback = setTimeout(() => {
        cancelAnimationFrame(frame);
        flush();
      }, frameFallbackMs);
      pending.current = {
        isFrame: true,
        cancel: () => {
          cancelAnimationFrame(frame);
          clearTimeout(fallback);
        },
      };
    }
  }, []);
}
