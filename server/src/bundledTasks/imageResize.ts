import { type ImageFormat, imageLimits, imageResize, thumbnailPath } from "@conveyor/shared";
import sharp from "sharp";
import type { Executor } from "../db/client.js";
import { findImage, recordThumbnails, type StoredThumbnail } from "../images/service.js";
import type { ImageStorage } from "../images/storage.js";
import { NonRetryableError } from "../worker/taskErrors.js";
import { implementTask } from "../worker/taskImplementation.js";

/** WebP keeps transparency (unlike JPEG) and is about a third smaller than PNG at this size. */
const thumbnailQuality = 80;

/** Makes one WebP thumbnail per size, smallest first, and records them with the image. */
export function implementImageResize(db: Executor, storage: ImageStorage) {
  return implementTask(imageResize, async ({ imageId, sizes }, { signal, progress, logger }) => {
    const image = await findImage(db, imageId);
    if (!image) throw new NonRetryableError(`image ${imageId} does not exist`);
    const original = await readOriginal(storage, imageId, image.format);
    const ordered = [...sizes].sort((a, b) => a - b);
    const thumbnails: StoredThumbnail[] = [];
    for (const [index, size] of ordered.entries()) {
      // sharp cannot be interrupted mid-image; between images is where a cancel is honoured.
      signal.throwIfAborted();
      progress({ current: index, total: ordered.length, message: `${size} px` });
      const { data, info } = await makeThumbnail(original, size, imageId);
      await storage.writeThumbnail(imageId, size, data);
      thumbnails.push({
        size,
        path: thumbnailPath(imageId, size),
        width: info.width,
        height: info.height,
        bytes: info.size,
      });
    }
    await recordThumbnails(db, imageId, thumbnails);
    progress({ current: ordered.length, total: ordered.length, message: "Done" });
    logger.info("thumbnails made", { imageId, sizes: ordered });
    return { thumbnails: thumbnails.map(({ bytes: _bytes, ...thumbnail }) => thumbnail) };
  });
}

async function readOriginal(storage: ImageStorage, imageId: string, format: ImageFormat): Promise<Buffer> {
  try {
    return await storage.readOriginal(imageId, format);
  } catch (error) {
    // A missing file will not appear by retrying; any other read error (disk busy) might pass.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new NonRetryableError(`the original of image ${imageId} is missing from storage`, { cause: error });
    }
    throw error;
  }
}

/** The image fitted inside size × size, upright (EXIF orientation applied), never enlarged. */
async function makeThumbnail(original: Buffer, size: number, imageId: string) {
  try {
    return await sharp(original, { limitInputPixels: imageLimits.imagePixels })
      .rotate()
      .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
      .webp({ quality: thumbnailQuality })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    // The upload's header was checked; pixels that do not decode are a broken file, not bad luck.
    throw new NonRetryableError(`image ${imageId} cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
}
