-- The example app's nightly report: cron with a real task, shipped disabled so a fresh install
-- enqueues nothing on its own. `schedules.resume` turns it on; next_fire_at is computed then.
INSERT INTO "schedules" ("name", "cron", "timezone", "target", "enabled")
VALUES (
  'nightly-report',
  '0 2 * * *',
  'UTC',
  '{"kind":"task","task":"report.generate","input":{"userId":1,"failureRate":0}}'::jsonb,
  false
)
ON CONFLICT ("name") DO NOTHING;
