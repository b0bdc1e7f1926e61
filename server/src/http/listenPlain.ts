import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts a bare Node HTTP server (a worker's health or metrics listener) and says where it is. */
export async function listenPlain(
  server: Server,
  listen: { port: number; host: string },
): Promise<{ origin: string; close(): Promise<void> }> {
  server.listen(listen.port, listen.host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    origin: `http://${host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
