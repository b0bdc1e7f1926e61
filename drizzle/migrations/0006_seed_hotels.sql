-- 1,200 example hotels across 40 cities, built deterministically from word lists, so every
-- installation starts with the same realistic listing to page, filter and cache.
INSERT INTO "hotels" ("name", "city", "country", "stars", "price_per_night_cents", "rooms")
SELECT
  (ARRAY['Grand','Royal','Harbour','Old Town','Riverside','Park','Central','Garden','Lakeside','Station',
         'Palace','Boutique','Imperial','Seaside','Hilltop','Cathedral','Market','Opera','Bridge','Castle'])[1 + (g % 20)]
    || ' ' ||
  (ARRAY['Hotel','Inn','Suites','Residence','Lodge','House','Rooms','Apartments'])[1 + ((g / 20) % 8)]
    || ' ' || c.city,
  c.city,
  c.country,
  1 + ((g * 7) % 5),
  4500 + ((g * 7919) % 40) * 1250,
  12 + ((g * 31) % 240)
FROM generate_series(0, 1199) AS g
JOIN (
  SELECT row_number() OVER () - 1 AS n, city, country FROM (VALUES
    ('Amsterdam','Netherlands'),('Athens','Greece'),('Barcelona','Spain'),('Berlin','Germany'),('Bologna','Italy'),
    ('Bordeaux','France'),('Bruges','Belgium'),('Brussels','Belgium'),('Budapest','Hungary'),('Copenhagen','Denmark'),
    ('Dublin','Ireland'),('Edinburgh','United Kingdom'),('Florence','Italy'),('Geneva','Switzerland'),('Ghent','Belgium'),
    ('Hamburg','Germany'),('Helsinki','Finland'),('Istanbul','Türkiye'),('Kraków','Poland'),('Lisbon','Portugal'),
    ('Ljubljana','Slovenia'),('London','United Kingdom'),('Lyon','France'),('Madrid','Spain'),('Marseille','France'),
    ('Milan','Italy'),('Munich','Germany'),('Naples','Italy'),('Oslo','Norway'),('Paris','France'),
    ('Porto','Portugal'),('Prague','Czechia'),('Reykjavík','Iceland'),('Riga','Latvia'),('Rome','Italy'),
    ('Seville','Spain'),('Stockholm','Sweden'),('Tallinn','Estonia'),('Vienna','Austria'),('Zurich','Switzerland')
  ) AS cities(city, country)
) AS c ON c.n = g % 40;
