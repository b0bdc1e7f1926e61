import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

describe("loadConfig", () => {
  it("fills in defaults for a bare environment", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe("127.0.0.1");
    expect(config.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/conveyor");
  });

  it("coerces numbers from strings", () => {
    expect(loadConfig({ PORT: "8080", WORKER_CONCURRENCY: "4" })).toMatchObject({ PORT: 8080, WORKER_CONCURRENCY: 4 });
  });

  it("names every variable that is wrong and why", () => {
    const load = () => loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT: .*number/);
    expect(load).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(load).toThrow(/LOG_LEVEL: /);
  });

  it("rejects a port out of range", () => {
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT: /);
  });

  it("reads the CORS origins as a list, and names one that is not an origin", () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: "https://app.example.com, http://127.0.0.1:5173" }).CORS_ORIGINS).toEqual([
      "https://app.example.com",
      "http://127.0.0.1:5173",
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: "https://app.example.com/path" })).toThrow(
      /CORS_ORIGINS\.0: each must be an origin/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: "app.example.com" })).toThrow(/CORS_ORIGINS\.0: each must be an origin/);
  });
});
