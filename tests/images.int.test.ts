import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Image, imageLimits, limits, type UploadedImage } from "@conveyor/shared";
import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageStorage } from "../server/src/images/storage.js";
import { type ExampleWorker, startExampleWorker } from "./fixtures/exampleWorker.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const storageDir = await mkdtemp(join(tmpdir(), "conveyor-images-"));
const storage = new ImageStorage(storageDir);
const { database, app } = await startFileConveyor("images", { worker: false, env: { STORAGE_DIR: storageDir } });
let worker: ExampleWorker;

beforeAll(async () => {
  worker = await startExampleWorker(database.url, { storageDir });
});

afterAll(async () => {
  await worker?.close();
  await rm(storageDir, { recursive: true, force: true });
});

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: "#3366cc" } })
    .png()
    .toBuffer();

function upload(file: Buffer, options: { token?: string | null; query?: string; name?: string; type?: string } = {}) {
  const token = options.token === undefined ? app.tokens.operator : options.token;
  const form = new FormData();
  form.append(
    "file",
    new Blob([new Uint8Array(file)], { type: options.type ?? "image/png" }),
    options.name ?? "photo.png",
  );
  return fetch(`${app.conveyor.url}/images${options.query ?? ""}`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
}

function thumbnail(path: string, token = app.tokens.viewer) {
  return fetch(`${app.conveyor.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** What an upload leaves behind: image rows, runs, and directories in the store. */
async function footprint(): Promise<string> {
  const result = await app.conveyor.db.execute<{ counts: string }>(
    sql`select concat_ws(',', (select count(*) from images), (select count(*) from runs)) as counts`,
  );
  return `${result.rows[0]?.counts},${(await readdir(storageDir)).length}`;
}

describe("uploading and processing an image", () => {
  it("stores the original, resizes it in a run, and serves the thumbnails", async () => {
    const original = await png(400, 300);
    const response = await upload(original, { query: "?sizes=256,64" });
    expect(response.status).toBe(201);
    const uploaded = (await response.json()) as UploadedImage;
    expect(uploaded).toEqual({
      id: expect.any(String),
      resizeRunId: expect.any(String),
      format: "png",
      width: 400,
      height: 300,
      bytes: original.length,
    });
    expect((await stat(storage.originalPath(uploaded.id, "png"))).size).toBe(original.length);

    const run = await waitForRun(database.url, uploaded.resizeRunId, isFinished);
    expect(run).toMatchObject({ task: "image.resize", status: "succeeded", attempts: 1 });
    expect(run.progress).toMatchObject({ current: 2, total: 2 });
    const path = (size: number) => `/images/${uploaded.id}/thumbnails/${size}`;
    expect(run.output).toEqual({
      thumbnails: [
        { size: 64, path: path(64), width: 64, height: 48 },
        { size: 256, path: path(256), width: 256, height: 192 },
      ],
    });

    const served = await thumbnail(path(256));
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/webp");
    const metadata = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect(metadata).toMatchObject({ format: "webp", width: 256, height: 192 });

    const image: Image = await app.clients.viewer.images.get.query({ id: uploaded.id });
    expect(image).toMatchObject({
      id: uploaded.id,
      filename: "photo.png",
      format: "png",
      width: 400,
      height: 300,
      resizeRunId: uploaded.resizeRunId,
      uploadedBy: "test operator",
      thumbnails: (run.output as { thumbnails: unknown[] }).thumbnails,
    });
    expect(image.createdAt).toBeInstanceOf(Date);
  });

  it("makes the default sizes when none are asked for, and never enlarges a small image", async () => {
    const response = await upload(await png(100, 50));
    const uploaded = (await response.json()) as UploadedImage;
    const run = await waitForRun(database.url, uploaded.resizeRunId, isFinished);
    expect(run.output).toMatchObject({
      thumbnails: [
        { size: 64, width: 64, height: 32 },
        { size: 256, width: 100, height: 50 },
      ],
    });
  });

  it("accepts a file over the 8 MiB limit of other requests, up to the image limit", async () => {
    const side = 1_700;
    const noise = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(limits.requestBodyBytes);
    expect(noise.length).toBeLessThan(imageLimits.imageUploadBytes);
    const response = await upload(noise, { query: "?sizes=32" });
    expect(response.status).toBe(201);
    const uploaded = (await response.json()) as UploadedImage;
    await waitForRun(database.url, uploaded.resizeRunId, (run) => run.status === "succeeded");
  });

  it("serves thumbnails to a browser signed in with a session cookie", async () => {
    const uploaded = (await (await upload(await png(40, 40), { query: "?sizes=16" })).json()) as UploadedImage;
    await waitForRun(database.url, uploaded.resizeRunId, (run) => run.status === "succeeded");
    const login = await fetch(`${app.conveyor.url}/login?token=${app.tokens.viewer}`, { redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const served = await fetch(`${app.conveyor.url}/images/${uploaded.id}/thumbnails/16`, { headers: { cookie } });
    expect(served.status).toBe(200);
  });
});

describe("refused uploads store nothing", () => {
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
  );

  it.each([
    [
      "a text file",
      async () => upload(Buffer.from("hello, not an image"), { name: "notes.txt", type: "text/plain" }),
      400,
      /^file: not an image that can be read; send JPEG, PNG or WebP$/,
    ],
    [
      "a GIF",
      async () =>
        upload(
          await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
            .gif()
            .toBuffer(),
        ),
      400,
      /^file: GIF images are not accepted/,
    ],
    [
      "an SVG",
      async () => upload(svg, { name: "x.svg", type: "image/svg+xml" }),
      400,
      /^file: SVG images are not accepted/,
    ],
    [
      "a BMP",
      async () => upload(Buffer.concat([Buffer.from("BM"), Buffer.alloc(200)]), { name: "x.bmp" }),
      400,
      /^file: not an image/,
    ],
    [
      "a file over 10 MiB",
      async () => upload(Buffer.alloc(imageLimits.imageUploadBytes + 1)),
      413,
      /^file: over the limit imageUploadBytes of 10485760 bytes/,
    ],
    [
      "an image over the pixel limit",
      async () => upload(await png(8_000, 6_000)),
      400,
      /^file: 8000×6000 is 48000000 pixels, over the limit imagePixels of 40000000$/,
    ],
    ["an invalid size", async () => upload(await png(10, 10), { query: "?sizes=64,5000" }), 400, /^sizes\.1: /],
    [
      "a repeated size",
      async () => upload(await png(10, 10), { query: "?sizes=64,64" }),
      400,
      /^sizes: each size at most once$/,
    ],
    [
      "a body that is not multipart",
      async () =>
        fetch(`${app.conveyor.url}/images`, {
          method: "POST",
          headers: { authorization: `Bearer ${app.tokens.operator}`, "content-type": "application/json" },
          body: JSON.stringify({ file: "x" }),
        }),
      400,
      /^file: send the image as multipart\/form-data/,
    ],
    ["no token", async () => upload(await png(10, 10), { token: null }), 401, /a valid token is required/],
    [
      "a viewer's token",
      async () => upload(await png(10, 10), { token: app.tokens.viewer }),
      403,
      /needs the operator role/,
    ],
  ] as const)("%s", async (_name, send, status, message) => {
    const before = await footprint();
    const response = await send();
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
    expect(await footprint()).toBe(before);
  });
});

describe("an upload whose transaction fails", () => {
  it("removes the original it wrote: no row, no run, no file", async () => {
    await app.conveyor.db.execute(sql`
      create function refuse_images() returns trigger language plpgsql as $$
      begin raise exception 'images table unavailable'; end $$;
      create trigger refuse_images before insert on images for each row execute function refuse_images();`);
    const before = await footprint();
    try {
      expect((await upload(await png(20, 20))).status).toBe(500);
    } finally {
      await app.conveyor.db.execute(sql`
        drop trigger refuse_images on images;
        drop function refuse_images();`);
    }
    expect(await footprint()).toBe(before);
  });
});

describe("reading images", () => {
  it("a thumbnail that was not made is 404, a malformed address 400, and no token 401", async () => {
    const uploaded = (await (await upload(await png(30, 30), { query: "?sizes=16" })).json()) as UploadedImage;
    await waitForRun(database.url, uploaded.resizeRunId, (run) => run.status === "succeeded");
    expect((await thumbnail(`/images/${uploaded.id}/thumbnails/32`)).status).toBe(404);
    // Encoded, so the client does not resolve it away: the size must be a number, never a path.
    expect((await thumbnail(`/images/${uploaded.id}/thumbnails/..%2F..%2Fpasswd`)).status).toBe(400);
    expect((await thumbnail(`/images/not-a-uuid/thumbnails/16`)).status).toBe(400);
    expect((await fetch(`${app.conveyor.url}/images/${uploaded.id}/thumbnails/16`)).status).toBe(401);
  });

  it("images.get of an unknown image is NOT_FOUND", async () => {
    const error = await app.client.images.get.query({ id: randomUUID() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" });
  });

  it("a resize of an image that does not exist fails at once, without retrying", async () => {
    const { id } = await app.clients.operator.runs.enqueue.mutate({
      task: "image.resize",
      input: { imageId: randomUUID(), sizes: [64] },
    });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "NonRetryableError", isRetryable: false },
    });
    expect(run.error?.message).toMatch(/does not exist/);
  });
});
