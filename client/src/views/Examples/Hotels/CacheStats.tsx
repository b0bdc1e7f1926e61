import { useEffect } from "react";
import { trpc } from "../../../trpc";

const percent = new Intl.NumberFormat(undefined, { style: "percent" });

/**
 * The API's cache counters for the hotels listing, read again after each read of the listing (not
 * on a timer), so the reader sees each page come from the cache or miss it.
 */
export function CacheStats({ listingReadAt }: { listingReadAt: number }) {
  const utils = trpc.useUtils();
  const stats = trpc.cache.stats.useQuery();
  useEffect(() => {
    if (listingReadAt > 0) void utils.cache.stats.invalidate();
  }, [listingReadAt, utils]);

  const hotels = stats.data?.namespaces.hotels;
  if (!stats.data || !hotels) return null;
  return (
    <p className="cache-stats" data-testid="cache-stats" data-hits={hotels.hits} data-misses={hotels.misses}>
      Cache · hotels: {hotels.hits} hits, {hotels.misses} misses ({percent.format(hotels.hitRate)} hit rate)
      {!stats.data.isAvailable && " · Redis unavailable, reading the database directly"}
    </p>
  );
}
