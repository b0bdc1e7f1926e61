import {
  type Image,
  imageResize,
  type TaskInput,
  type Thumbnail,
  thumbnailPath,
  type UploadedImage,
} from "@conveyor/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { NotFoundError } from "../errors.js";
import { enqueueRuns } from "../runs/service.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import type { InspectedImage } from "./inspectImage.js";
import type { ImageStorage } from "./storage.js";

export interface ImageUpload extends InspectedImage {
  filename: string;
  bytes: Buffer;
  sizes: number[];
  uploadedBy: string;
}

/** A thumbnail as the resize task records it. */
export interface StoredThumbnail extends Thumbnail {
  bytes: number;
}

type ImageRow = typeof schema.images.$inferSelect;

/**
 * Keeps the original on disk, then inserts its row and enqueues `image.resize` in one
 * transaction. The file comes first so the run can never start before it exists; if the
 * transaction fails, the file is removed and nothing of the upload remains.
 */
export async function storeImage(
  db: Executor,
  catalog: TaskCatalog,
  storage: ImageStorage,
  upload: ImageUpload,
): Promise<UploadedImage> {
  const id = uuidv7();
  await storage.writeOriginal(id, upload.format, upload.bytes);
  try {
    return await db.transaction(async (tx) => {
      const [run] = await enqueueRuns(tx, catalog, [
        { task: imageResize.name, input: { imageId: id, sizes: upload.sizes } satisfies TaskInput<typeof imageResize> },
      ]);
      if (!run) throw new Error("uploading an image enqueued no resize run");
      // The run is committed with the row, so the worker never looks for an image that is not there.
      await tx.insert(schema.images).values({
        id,
        filename: upload.filename,
        format: upload.format,
        width: upload.width,
        height: upload.height,
        bytes: upload.bytes.length,
        resizeRunId: run.id,
        uploadedBy: upload.uploadedBy,
      });
      return {
        id,
        resizeRunId: run.id,
        format: upload.format,
        width: upload.width,
        height: upload.height,
        bytes: upload.bytes.length,
      };
    });
  } catch (error) {
    await storage.remove(id);
    throw error;
  }
}

/** The image with the thumbnails made so far, smallest first. */
export async function getImage(db: Executor, id: string): Promise<Image> {
  const row = await findImage(db, id);
  if (!row) throw new NotFoundError(`image ${id} does not exist`);
  const thumbnails = await db
    .select()
    .from(schema.imageThumbnails)
    .where(eq(schema.imageThumbnails.imageId, id))
    .orderBy(asc(schema.imageThumbnails.size));
  return {
    ...row,
    thumbnails: thumbnails.map(({ size, width, height }) => ({ size, width, height, path: thumbnailPath(id, size) })),
  };
}

export async function findImage(db: Executor, id: string): Promise<ImageRow | null> {
  const [row] = await db.select().from(schema.images).where(eq(schema.images.id, id)).limit(1);
  return row ?? null;
}

export async function hasThumbnail(db: Executor, imageId: string, size: number): Promise<boolean> {
  const rows = await db
    .select({ size: schema.imageThumbnails.size })
    .from(schema.imageThumbnails)
    .where(and(eq(schema.imageThumbnails.imageId, imageId), eq(schema.imageThumbnails.size, size)))
    .limit(1);
  return rows.length > 0;
}

/** Upserts: a retried run rewrites its own files and rows, so the last attempt's numbers stand. */
export async function recordThumbnails(db: Executor, imageId: string, thumbnails: StoredThumbnail[]): Promise<void> {
  if (thumbnails.length === 0) return;
  await db
    .insert(schema.imageThumbnails)
    .values(thumbnails.map(({ size, width, height, bytes }) => ({ imageId, size, width, height, bytes })))
    .onConflictDoUpdate({
      target: [schema.imageThumbnails.imageId, schema.imageThumbnails.size],
      set: {
        width: sql`excluded.width`,
        height: sql`excluded.height`,
        bytes: sql`excluded.bytes`,
        createdAt: sql`now()`,
      },
    });
}
