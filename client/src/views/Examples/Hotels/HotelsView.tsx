import { listHotelsInputSchema } from "@conveyor/shared";
import { useSearchParams } from "wouter";
import { Listing, LoadMore, pageItems } from "../../../components/Listing";
import { useCan } from "../../../components/RequireRole";
import { useSetSearchParams } from "../../../searchParams";
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
  return (
    <section aria-labelledby="hotels-title">
      <h2 id="hotels-title">{city ? `Hotels in ${city}` : "All hotels"}</h2>
      <Listing
        query={hotels}
        items={pageItems(hotels.data)}
        noun="hotels"
        empty={city ? `No hotels in ${city}.` : "No hotels yet."}
        footer={
          <div className="list-footer">
            <CacheStats listingReadAt={hotels.dataUpdatedAt} />
            <LoadMore query={hotels} />
          </div>
        }
      >
        {(items) => <HotelsTable hotels={items} />}
      </Listing>
    </section>
  );
}

/** The cached hotels listing: filter by city (kept in the URL), page on, add a hotel. */
export function HotelsView() {
  const canWrite = useCan("operator");
  const [params] = useSearchParams();
  const setParams = useSetSearchParams();
  // A hand-edited link may hold anything; a city the API would refuse is ignored rather than sent.
  const city = listHotelsInputSchema.shape.city.safeParse(params.get("city") ?? undefined).data;
  const setCity = (next: string) => setParams({ city: next });
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
