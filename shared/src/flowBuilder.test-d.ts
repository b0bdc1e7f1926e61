import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { type Chain, chain, chord, member } from "./flowBuilder.js";
import type { ChainInput, GroupInput } from "./flows.js";
import { defineTask } from "./task.js";

const fetchUser = defineTask({
  name: "test.fetch-user",
  description: "",
  input: z.object({ userId: z.number() }),
  output: z.object({ userId: z.number(), email: z.string() }),
});
const sendEmail = defineTask({
  name: "test.send-email",
  description: "",
  input: z.object({ email: z.string(), subject: z.string().default("Hello") }),
  output: z.object({ sent: z.boolean() }),
});
const resize = defineTask({
  name: "test.resize",
  description: "",
  input: z.object({ width: z.number() }),
  output: z.object({ width: z.number() }),
});
const sumWidths = defineTask({
  name: "test.sum-widths",
  description: "",
  input: z.object({ results: z.array(z.object({ width: z.number() })), unit: z.string() }),
  output: z.object({ total: z.number() }),
});

describe("typed chains", () => {
  it("accepts a step whose input takes the previous output (extra fields and defaults allowed)", () => {
    const flow = chain(fetchUser, { userId: 1 }).pipe(sendEmail);
    expectTypeOf(flow).toEqualTypeOf<Chain<typeof sendEmail>>();
    expectTypeOf(flow.toInput()).toEqualTypeOf<ChainInput>();
  });

  it("rejects at compile time a step whose input does not accept the previous output", () => {
    // @ts-expect-error resize needs { width }, fetchUser produces { userId, email }
    chain(fetchUser, { userId: 1 }).pipe(resize);
    // @ts-expect-error the first step's input is checked against its task too
    chain(fetchUser, { userId: "1" });
  });

  it("lets a step take an input of its own instead", () => {
    expectTypeOf(chain(fetchUser, { userId: 1 }).next(resize, { width: 100 })).toEqualTypeOf<Chain<typeof resize>>();
    // @ts-expect-error an own input is checked against the step's task
    chain(fetchUser, { userId: 1 }).next(resize, { height: 100 });
  });
});

describe("typed chords", () => {
  it("accepts a callback whose input takes the members' outputs as results", () => {
    const flow = chord([member(resize, { width: 1 }), member(resize, { width: 2 })], sumWidths, { unit: "px" });
    expectTypeOf(flow).toEqualTypeOf<GroupInput>();
  });

  it("rejects a callback that cannot take the results", () => {
    // @ts-expect-error sendEmail's input has no `results` of widths
    chord([member(resize, { width: 1 })], sendEmail);
    // @ts-expect-error the callback's own required input (unit) must be given
    chord([member(resize, { width: 1 })], sumWidths);
    // @ts-expect-error results of the wrong shape: fetchUser produces no widths
    chord([member(fetchUser, { userId: 1 })], sumWidths, { unit: "px" });
    // @ts-expect-error a member's input is checked against its task
    member(resize, { width: "wide" });
  });
});
