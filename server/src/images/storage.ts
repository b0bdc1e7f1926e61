import { randomUUID } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { ImageFormat } from "@conveyor/shared";
import { repositoryRoot } from "../repositoryRoot.js";

/**
 * Originals and thumbnails on a local disk: `<root>/<image id>/original.<ext>` and
 * `<root>/<image id>/<size>.webp`. Every path is built from a UUID and a number, never from what
 * the uploader sent, so no upload can name a file outside the root. The API writes originals and
 * workers write thumbnails: both must see the same directory (one machine, or a shared volume).
 */
export class ImageStorage {
  /** The absolute directory everything is kept under. */
  readonly root: string;

  constructor(dir: string) {
    // Resolved from the repository root, so `./data/images` means the same wherever the process starts.
    this.root = resolve(repositoryRoot, dir);
  }

  originalPath(imageId: string, format: ImageFormat): string {
    return join(this.root, imageId, `original.${format === "jpeg" ? "jpg" : format}`);
  }

  thumbnailPath(imageId: string, size: number): string {
    return join(this.root, imageId, `${size}.webp`);
  }

  writeOriginal(imageId: string, format: ImageFormat, bytes: Buffer): Promise<void> {
    return writeAtomically(this.originalPath(imageId, format), bytes);
  }

  readOriginal(imageId: string, format: ImageFormat): Promise<Buffer> {
    return readFile(this.originalPath(imageId, format));
  }

  writeThumbnail(imageId: string, size: number, bytes: Buffer): Promise<void> {
    return writeAtomically(this.thumbnailPath(imageId, size), bytes);
  }

  openThumbnail(imageId: string, size: number): ReadStream {
    return createReadStream(this.thumbnailPath(imageId, size));
  }

  /** Removes the image's directory and everything in it; nothing there is fine. */
  remove(imageId: string): Promise<void> {
    return rm(join(this.root, imageId), { recursive: true, force: true });
  }
}

/** Written beside, then renamed: a reader sees the old file or the whole new one, never half. */
async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${randomUUID()}.partial`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
