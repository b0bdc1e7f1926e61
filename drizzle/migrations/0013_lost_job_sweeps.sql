-- The database servers (by when each started) that workers have searched for runs that lost their
-- jobs: a restart or a promotion since the last search brings a new one.
CREATE TABLE "lost_job_sweeps" (
  "server_started_at" timestamptz PRIMARY KEY,
  "swept_at" timestamptz NOT NULL DEFAULT now()
);
