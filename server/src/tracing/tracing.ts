import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

let provider: NodeTracerProvider | null = null;

/**
 * Exports this process's spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
 * exporter reads it and the other OTEL_* settings itself); without it, every span below is a
 * no-op. Once per process: `npm start` calls it, tests that embed Conveyor do not.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (provider || !env.OTEL_EXPORTER_OTLP_ENDPOINT) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Also installs W3C trace context propagation and an AsyncLocalStorage context manager, so the
  // active span follows the code through awaits (into a task's own code too).
  provider.register();
  return true;
}

/** Sends what is left and stops; for a clean shutdown. */
export async function stopTracing(): Promise<void> {
  await provider?.shutdown();
  provider = null;
}

export const tracer = trace.getTracer("conveyor");

/** The W3C `traceparent` of the active span, to store with a run; null when nothing records. */
export function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The trace id of the active span, for log lines; undefined when nothing records. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The context a `traceparent` (an incoming header, or one stored with a run) continues. */
export function contextOf(traceparent: string | null | undefined, tracestate?: string | null): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent, ...(tracestate ? { tracestate } : {}) });
}

/** Runs `work` inside a new active span, ended (marked failed if `work` throws) when it settles. */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await work();
      endSpan(span);
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  });
}

/** Ends `span`, marked failed with `error`'s message when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
