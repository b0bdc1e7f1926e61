import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two cores: more workers only make the integration and browser tests contend.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "shared/**/*.test.ts",
            "server/**/*.test.ts",
            "client/**/*.test.{ts,tsx}",
            "packages/client/**/*.test.ts",
            "tests/unit/**/*.test.ts",
          ],
          // Type tests: a flow step that cannot take the previous output must not compile.
          typecheck: { enabled: true, include: ["shared/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/**/*.int.test.ts"],
          exclude: [
            "tests/faults.int.test.ts",
            "tests/durableRestart.int.test.ts",
            "tests/optimisticCrash.int.test.ts",
            "tests/rollingUpgrade.int.test.ts",
            "tests/dockerfile.int.test.ts",
            "tests/pooler.int.test.ts",
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The example app, flows, schedules, steps, job control and the live feed again, with
        // DATABASE_URL through PgBouncer in transaction mode and DIRECT_DATABASE_URL beside it.
        test: {
          name: "pooler",
          include: [
            "tests/runs.int.test.ts",
            "tests/flows.int.test.ts",
            "tests/schedules.api.int.test.ts",
            "tests/schedules.int.test.ts",
            "tests/reports.int.test.ts",
            "tests/users.int.test.ts",
            "tests/durableSteps.int.test.ts",
            "tests/jobControl.int.test.ts",
            "tests/live.int.test.ts",
            "tests/liveSocket.int.test.ts",
            "tests/pooler.int.test.ts",
          ],
          globalSetup: ["tests/fixtures/poolerSetup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Four server processes and their load at once: run alone after everything else, so
        // neither it nor the other tests measure each other's contention.
        test: {
          name: "faults",
          include: [
            "tests/faults.int.test.ts",
            "tests/durableRestart.int.test.ts",
            "tests/optimisticCrash.int.test.ts",
            "tests/rollingUpgrade.int.test.ts",
          ],
          sequence: { groupOrder: 1 },
          // One file at a time: each starts server processes of its own, which share Postgres's connections.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Two npm installs and both builds: alone at the end, so no other test competes with it.
        test: {
          name: "image",
          include: ["tests/dockerfile.int.test.ts"],
          sequence: { groupOrder: 2 },
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["tests/e2e/**/*.e2e.test.ts"],
          globalSetup: ["tests/e2e/buildClient.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
