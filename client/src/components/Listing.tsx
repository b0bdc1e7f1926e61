import type { ReactNode } from "react";
import { ErrorBanner, Placeholder } from "./Notice";

/** A listing's paging, as react-query's infinite queries give it; absent on a listing read at once. */
interface Paging {
  hasNextPage?: boolean;
  isFetchingNextPage?: boolean;
  fetchNextPage?: () => unknown;
}

interface ListingQuery extends Paging {
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

/** Every item of the pages read so far, in order. */
export function pageItems<Item>(data: { pages: readonly { items: readonly Item[] }[] } | undefined): Item[] {
  return data?.pages.flatMap((page) => page.items) ?? [];
}

/** Reads the next page; shown only while there is one. `onLoad` replaces fetching it directly. */
export function LoadMore({ query, onLoad }: { query: Paging; onLoad?: () => void }) {
  if (!query.hasNextPage) return null;
  return (
    <button type="button" onClick={onLoad ?? (() => void query.fetchNextPage?.())} disabled={query.isFetchingNextPage}>
      {query.isFetchingNextPage ? "Loading…" : "Load more"}
    </button>
  );
}

interface ListingProps<Item> {
  query: ListingQuery;
  items: Item[];
  /** What is listed, in the plural: "Could not load the {noun}.", "Loading {noun}…". */
  noun: string;
  /** Shown once the API has answered with nothing. */
  empty: ReactNode;
  /** The items, when there are any. */
  children: (items: Item[]) => ReactNode;
  /** Under the items, in place of the "Load more" button. */
  footer?: ReactNode;
}

/** A listing's states: its error, loading, nothing to list, the items, and a way to read more. */
export function Listing<Item>({ query, items, noun, empty, children, footer }: ListingProps<Item>) {
  return (
    <>
      {query.isError && <ErrorBanner title={`Could not load the ${noun}.`} error={query.error} />}
      {query.isPending && <Placeholder>{`Loading ${noun}…`}</Placeholder>}
      {!query.isPending && !query.isError && items.length === 0 && <Placeholder>{empty}</Placeholder>}
      {items.length > 0 && children(items)}
      {footer ??
        (query.hasNextPage && (
          <div className="form-actions">
            <LoadMore query={query} />
          </div>
        ))}
    </>
  );
}
