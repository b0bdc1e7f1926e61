import type { RouterOutputs } from "../../../trpc";

type Hotel = RouterOutputs["hotels"]["list"]["items"][number];

const price = new Intl.NumberFormat(undefined, { style: "currency", currency: "EUR" });

export function HotelsTable({ hotels }: { hotels: Hotel[] }) {
  return (
    <div className="table-scroll">
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">City</th>
            <th scope="col">Country</th>
            <th scope="col">Stars</th>
            <th scope="col">Per night</th>
            <th scope="col">Rooms</th>
          </tr>
        </thead>
        <tbody>
          {hotels.map((hotel) => (
            <tr key={hotel.id} data-testid="hotel-row" data-hotel-id={hotel.id} data-city={hotel.city}>
              <td>{hotel.name}</td>
              <td>{hotel.city}</td>
              <td>{hotel.country}</td>
              <td aria-label={`${hotel.stars} stars`}>{"★".repeat(hotel.stars)}</td>
              <td className="numeric">{price.format(hotel.pricePerNightCents / 100)}</td>
              <td className="numeric">{hotel.rooms}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
