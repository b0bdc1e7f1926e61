import type { Role } from "@conveyor/shared";
import { describe, expect, it } from "vitest";
import { rejection } from "./fixtures/rejection.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";

const { app } = await startFileConveyor("schedules_api", { worker: false });

const schedulesAs = (role: Role) => app.clients[role].schedules;

const report = { kind: "task" as const, task: "report.generate", input: { userId: 7 } };

describe("roles", () => {
  it("a viewer can list, get and preview, but not create", async () => {
    const created = await schedulesAs("admin").create.mutate({
      name: "viewer can see",
      cron: "0 3 * * *",
      target: report,
    });
    const viewer = schedulesAs("viewer");
    expect((await viewer.list.query({})).items.map((item) => item.name)).toContain("viewer can see");
    expect(await viewer.get.query({ id: created.id })).toMatchObject({ id: created.id, cron: "0 3 * * *" });
    expect((await viewer.preview.query({ cron: "0 3 * * *" })).next).toHaveLength(5);
    const denied = await rejection(viewer.create.mutate({ name: "nope", cron: "* * * * *", target: report }));
    expect(denied.code).toBe("FORBIDDEN");
  });

  it("an operator cannot change schedules either", async () => {
    const created = await schedulesAs("admin").create.mutate({ name: "operator", cron: "0 4 * * *", target: report });
    const operator = schedulesAs("operator");
    const attempts = [
      () => operator.create.mutate({ name: "op", cron: "* * * * *", target: report }),
      () => operator.update.mutate({ id: created.id, cron: "0 5 * * *" }),
      () => operator.pause.mutate({ id: created.id }),
      () => operator.resume.mutate({ id: created.id }),
      () => operator.delete.mutate({ id: created.id }),
    ];
    for (const attempt of attempts) expect((await rejection(attempt())).code).toBe("FORBIDDEN");
    expect(await operator.get.query({ id: created.id })).toMatchObject({ cron: "0 4 * * *", enabled: true });
  });

  it("an admin manages a schedule from creation to deletion", async () => {
    const admin = schedulesAs("admin");
    const created = await admin.create.mutate({
      name: "lifecycle",
      cron: "*/15 * * * *",
      timezone: "Europe/Berlin",
      target: report,
    });
    expect(created).toMatchObject({ enabled: true, description: "Every 15 minutes (Europe/Berlin)" });
    expect(created.nextFireAt).toBeInstanceOf(Date);

    const updated = await admin.update.mutate({ id: created.id, cron: "0 9 * * MON-FRI" });
    expect(updated.description).toBe("At 09:00, Monday through Friday (Europe/Berlin)");
    expect(await admin.pause.mutate({ id: created.id })).toMatchObject({ enabled: false, nextFireAt: null });
    const resumed = await admin.resume.mutate({ id: created.id });
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextFireAt?.getTime()).toBeGreaterThan(Date.now());

    await admin.delete.mutate({ id: created.id });
    expect((await rejection(admin.get.query({ id: created.id }))).code).toBe("NOT_FOUND");
  });
});

describe("invalid input is a BAD_REQUEST naming the field", () => {
  it("an invalid expression names cron, in croner's words", async () => {
    const { code, message } = await rejection(
      schedulesAs("admin").create.mutate({ name: "bad cron", cron: "61 * * * *", target: report }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(message).toMatch(/^cron: .*Invalid value for minute: 61/);
  });

  it("a seconds field names cron and says why", async () => {
    const { code, message } = await rejection(schedulesAs("viewer").preview.query({ cron: "*/10 * * * * *" }));
    expect(code).toBe("BAD_REQUEST");
    expect(message).toMatch(/^cron: has 6 fields.*no seconds field/);
  });

  it("an unknown timezone names timezone", async () => {
    const { code, message } = await rejection(
      schedulesAs("admin").create.mutate({
        name: "bad tz",
        cron: "0 3 * * *",
        timezone: "Mars/Olympus",
        target: report,
      }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(message).toMatch(/^timezone: .*Mars\/Olympus/);
  });

  it("input the task's schema refuses names target.input.userId", async () => {
    const { code, message, issues } = await rejection(
      schedulesAs("admin").create.mutate({
        name: "bad input",
        cron: "0 3 * * *",
        target: { kind: "task", task: "report.generate", input: { userId: -3 } },
      }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(message).toMatch(/^target\.input\.userId: /);
    expect(issues?.[0]?.path).toEqual(["target", "input", "userId"]);
  });

  it("a taken name names name", async () => {
    await schedulesAs("admin").create.mutate({ name: "unique", cron: "0 3 * * *", target: report });
    const { code, message } = await rejection(
      schedulesAs("admin").create.mutate({ name: "unique", cron: "0 4 * * *", target: report }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(message).toBe('name: a schedule named "unique" already exists');
  });

  it("a preview count over the limit names count and the limit", async () => {
    const { code, message } = await rejection(schedulesAs("viewer").preview.query({ cron: "* * * * *", count: 500 }));
    expect(code).toBe("BAD_REQUEST");
    expect(message).toMatch(/^count: .*limit previewCount/);
  });
});

describe("preview over HTTP", () => {
  it("returns dates, in the timezone asked for", async () => {
    const preview = await schedulesAs("viewer").preview.query({
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      count: 3,
      after: new Date("2025-03-28T12:00:00Z"),
    });
    expect(preview).toEqual({
      description: "At 02:30 (Europe/Berlin)",
      next: [new Date("2025-03-29T01:30:00Z"), new Date("2025-03-30T01:00:00Z"), new Date("2025-03-31T00:30:00Z")],
    });
  });
});
