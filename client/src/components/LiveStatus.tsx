import { useIsReconnecting } from "../liveConnection";

/** Shown in the header while a live view has lost its event stream; nothing while all is well. */
export function LiveStatus() {
  const isReconnecting = useIsReconnecting();
  if (!isReconnecting) return null;
  return (
    <span className="live-status" role="status" data-testid="live-status">
      reconnecting…
    </span>
  );
}
