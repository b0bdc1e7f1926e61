import { describe, expect, it } from "vitest";
import { startFileConveyor } from "./fixtures/testConveyor.js";

const allowed = "https://app.example.com";
const { app } = await startFileConveyor("cors", { env: { CORS_ORIGINS: allowed } });
const base = app.conveyor.url ?? "";

/** A browser's preflight of a token-authenticated call to `runs.get` from a page of `origin`. */
function preflight(origin: string): Promise<Response> {
  return fetch(`${base}/trpc/runs.get`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

describe("calls from another site's pages (CORS_ORIGINS)", () => {
  it("lets an allowed origin send its token, and answers it with the origin allowed", async () => {
    const answer = await preflight(allowed);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(answer.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    // No cookies across sites: a page elsewhere authenticates with its token only.
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    const read = await fetch(`${base}/trpc/tasks.list`, {
      headers: { origin: allowed, authorization: `Bearer ${app.tokens.viewer}` },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe(allowed);
  });

  it("allows no other origin", async () => {
    const answer = await preflight("https://elsewhere.example.com");
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    const read = await fetch(`${base}/trpc/tasks.list`, {
      headers: { origin: "https://elsewhere.example.com", authorization: `Bearer ${app.tokens.viewer}` },
    });
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });
});
