import { listHotelsInputSchema } from "@conveyor/shared";
import { useSearchParams } from "wouter";
import { ErrorBanner, Placeholder } from "../../../components/Notice";
import { useCan } from "../../../components/RequireRole";
import { trpc } from "../../../trpc";
import { CacheStats } from "./CacheStats";
import { HotelForm } from "./HotelForm";
import { HotelsTable } from "./HotelsTable";

/** Hotels per page. */
const pageSize = 20;

function CityFilter({ city, onChange }: { city: string | undefined; onChange: (city: string) => void }) {
  return (
    <form
      className="filters"
      aria-label="Filter hotels"
      onSubmit={(event) => {
        event.preventDefault();
        onChange(String(new FormData(event.currentTarget).get("city") ?? "").trim());
      }}
    >
      <div className="filter">
        <label htmlFor="hotels-city">City</label>
        {/* Keyed by the URL's city, so going back and forth in history shows the city filtered on. */}
        <input key={city ?? ""} id="hotels-city" name="city" type="search" defaultValue={city ?? ""} />
      </div>
      <div className="form-actions">
        <button type="submit">Filter</button>
        {city && (
          <button type="button" onClick={() => onChange("")}>
            All cities
          </button>
        )}
      </div>
    </form>
  );
}

function HotelsList({ city }: { city: string | undefined }) {
  const hotels = trpc.hotels.list.useInfiniteQuery(
    { city, limit: pageSize },
    { getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const items = hotels.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="hotels-title">
      <h2 id="hotels-title">{city ? `Hotels in ${city}` : "All hotels"}</h2>
      {hotels.isError && <ErrorBanner title="Could not load the hotels." error={hotels.error} />}
      {hotels.isPending && <Placeholder>Loading hotels…</Placeholder>}
      {hotels.isSuccess && items.length === 0 && (
        <Placeholder>{city ? `No hotels in ${city}.` : "No hotels yet."}</Placeholder>
      )}
      {items.length > 0 && <HotelsTable hotels={items} />}
      <div className="list-footer">
        <CacheStats listingReadAt={hotels.dataUpdatedAt} />
        {hotels.hasNextPage && (
          <button type="button" onClick={() => hotels.fetchNextPage()} disabled={hotels.isFetchingNextPage}>
            {hotels.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
      </div>
    </section>
  );
}

/** The cached hotels listing: filter by city (kept in the URL), page on, add a hotel. */
export function HotelsView() {
  const canWrite = useCan("operator");
  const [params, setParams] = useSearchParams();
  // A hand-edited link may hold anything; a city the API would refuse is ignored rather than sent.
  const city = listHotelsInputSchema.shape.city.safeParse(params.get("city") ?? undefined).data;
  const setCity = (next: string) =>
    setParams(
      (previous) => {
        const updated = new URLSearchParams(previous);
        if (next) updated.set("city", next);
        else updated.delete("city");
        return updated;
      },
      { replace: true },
    );
  return (
    <>
      <h1>Hotels</h1>
      <p className="lead">
        Listed through the API's read-through cache; adding a hotel invalidates it before the API answers, so the
        listing shows the hotel at once.
      </p>
      {canWrite && <HotelForm key={city ?? ""} city={city} />}
      <CityFilter city={city} onChange={setCity} />
      <HotelsList city={city} />
    </>
  );
}
