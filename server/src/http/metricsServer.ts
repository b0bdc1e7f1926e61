import { createServer, type Server } from "node:http";
import { tokenRequiredMessage } from "../auth/credentials.js";
import type { TokenAuthenticator } from "../auth/tokens.js";
import { listenPlain } from "./listenPlain.js";
import { type MetricsSources, mayScrape, renderMetrics } from "./metricsExposition.js";

export interface MetricsAccess {
  authenticator: TokenAuthenticator;
  metricsToken: string | undefined;
}

/** `GET /metrics` alone, for a process that serves no API (a worker), so Prometheus can scrape it. */
export async function startMetricsServer(
  sources: MetricsSources,
  access: MetricsAccess,
  listen: { port: number; host: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/metrics") {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    (async () => {
      if (!(await mayScrape(request.headers.authorization, access.authenticator, access.metricsToken))) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: tokenRequiredMessage }));
        return;
      }
      const { contentType, body } = await renderMetrics(sources);
      response.writeHead(200, { "content-type": contentType }).end(body);
    })().catch(() => response.writeHead(503).end());
  });
  const { origin, close } = await listenPlain(server, listen);
  return { url: `${origin}/metrics`, close };
}
