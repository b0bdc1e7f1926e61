import { createServer, type Server } from "node:http";
import { checkHealth, type HealthSources } from "./healthReport.js";
import { listenPlain } from "./listenPlain.js";

/** `GET /health` alone, for a process that serves no API (a worker), so its supervisor can probe it. */
export async function startHealthServer(
  sources: HealthSources,
  listen: { port: number; host: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/health") {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    checkHealth(sources).then(
      (report) => {
        response.writeHead(report.status === "ok" ? 200 : 503, { "content-type": "application/json" });
        response.end(JSON.stringify(report));
      },
      () => response.writeHead(503).end(),
    );
  });
  const { origin, close } = await listenPlain(server, listen);
  return { url: `${origin}/health`, close };
}
