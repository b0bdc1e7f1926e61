import { describe, expect, it } from "vitest";
import { fieldsOf, formFromSchema } from "../Enqueue/schemaFields";
import { errorsFromApi, formValuesOfInput, scheduleResolver } from "./scheduleForm";

const fields = fieldsOf(
  formFromSchema({
    type: "object",
    properties: {
      userId: { type: "integer" },
      notify: { type: "boolean" },
      tags: { type: "array" },
      address: { type: "object", properties: { city: { type: "string" } } },
    },
    required: ["userId"],
  }),
);
const nameOf = (label: string) => fields.find((field) => field.label === label)?.name ?? "";

describe("errorsFromApi", () => {
  it("puts each API issue by its field: the schedule's own, the input's, or the form's", () => {
    const errors = errorsFromApi(fields, [
      { path: ["cron"], message: "bad minute" },
      { path: ["timezone"], message: "unknown zone" },
      { path: ["target", "input", "userId"], message: "too small" },
      { path: ["target", "input", "address", "city"], message: "required" },
      { path: ["target", "task"], message: "no such task" },
      { path: ["target", "options", "queue"], message: "bad queue" },
    ]);
    expect(errors).toEqual({
      cron: "bad minute",
      timezone: "unknown zone",
      [nameOf("userId")]: "too small",
      [nameOf("city")]: "required",
      task: "no such task",
      _form: "target.options.queue: bad queue",
    });
  });
});

describe("formValuesOfInput", () => {
  it("shows a stored input in the fields it came from", () => {
    const values = formValuesOfInput(fields, { userId: 7, notify: true, tags: ["a"], address: { city: "Oslo" } });
    expect(values).toEqual({
      [nameOf("userId")]: 7,
      [nameOf("notify")]: true,
      [nameOf("tags")]: JSON.stringify(["a"], null, 2),
      [nameOf("city")]: "Oslo",
    });
  });
});

describe("scheduleResolver", () => {
  it("submits a task target built from the input fields", async () => {
    const resolve = scheduleResolver(fields, true);
    const result = await resolve(
      {
        name: " nightly ",
        cron: "0 2 * * *",
        timezone: "UTC",
        enabled: true,
        task: "some.task",
        ...formValuesOfInput(fields, { userId: 3 }),
      },
      undefined,
      { fields: {}, shouldUseNativeValidation: false },
    );
    expect(result.errors).toEqual({});
    expect(result.values).toMatchObject({
      name: "nightly",
      target: { kind: "task", task: "some.task", input: { userId: 3, notify: false } },
    });
  });

  it("names the empty fields", async () => {
    const result = await scheduleResolver(fields, true)(
      { name: "", cron: "", timezone: "UTC", enabled: true, task: "" },
      undefined,
      { fields: {}, shouldUseNativeValidation: false },
    );
    expect(Object.keys(result.errors)).toEqual(expect.arrayContaining(["name", "cron", "task"]));
  });
});
