-- An event id carries the timeline of the server that handed it out: ((timeline - 1) << 40) plus
-- the sequence. Promoting a replica starts a new timeline, so every id the new primary hands out is
-- above every id the old one did, including ids it handed out and lost with asynchronous replication
-- after subscribers saw them. A server that never failed over is on timeline 1: its ids are unchanged.
ALTER TABLE "events" ALTER COLUMN "id" SET DEFAULT
  ((('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint - 1) << 40) + nextval('events_id_seq');
