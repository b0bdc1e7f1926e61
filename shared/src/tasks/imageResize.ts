import { z } from "zod";
import { thumbnailSchema, thumbnailSizesSchema } from "../images.js";
import { defineTask } from "../task.js";

/** Makes an uploaded image's thumbnails; enqueued by `POST /images` with the image's row. */
export const imageResize = defineTask({
  name: "image.resize",
  description: "Makes WebP thumbnails of an uploaded image, one per size (its longest side, in pixels).",
  input: z.object({
    imageId: z.uuid(),
    sizes: thumbnailSizesSchema,
  }),
  output: z.object({ thumbnails: z.array(thumbnailSchema) }),
  defaults: {
    maxAttempts: 3,
    backoff: { initialDelayMs: 2_000, factor: 2, maxDelayMs: 60_000 },
    timeoutMs: 120_000,
    // Resizing is CPU-bound in libvips' own threads: a few at a time per process is all it takes.
    concurrency: 2,
  },
});
