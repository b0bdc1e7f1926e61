-- The W3C traceparent of the span that enqueued the run, so its attempts join the same trace.
ALTER TABLE "runs" ADD COLUMN "trace_context" text;
