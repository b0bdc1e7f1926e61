import { z } from "zod";

/** Limits of the images domain; each is named in the error that enforces it. */
export const imageLimits = {
  /** Bytes of one uploaded file: 10 MiB. */
  imageUploadBytes: 10 * 1024 * 1024,
  /** Pixels of one image: a small file can declare a huge canvas, and decoding it would eat memory. */
  imagePixels: 40_000_000,
  /** Smallest and largest thumbnail size (its longest side, in pixels). */
  thumbnailMinSize: 16,
  thumbnailMaxSize: 2_048,
  /** Thumbnail sizes one upload may ask for. */
  thumbnailsPerImage: 8,
} as const;

/**
 * Formats an upload may have. GIF (animation), SVG (a document that can carry scripts) and
 * anything sharp cannot decode, such as BMP, are refused.
 */
export const acceptedImageFormats = ["jpeg", "png", "webp"] as const;
export type ImageFormat = (typeof acceptedImageFormats)[number];

/** Thumbnails made when an upload asks for none. */
export const defaultThumbnailSizes = [64, 256] as const;

export const thumbnailSizeSchema = z.number().int().min(imageLimits.thumbnailMinSize).max(imageLimits.thumbnailMaxSize);

export const thumbnailSizesSchema = z
  .array(thumbnailSizeSchema)
  .min(1)
  .max(imageLimits.thumbnailsPerImage, `at most ${imageLimits.thumbnailsPerImage} sizes (limit thumbnailsPerImage)`)
  .refine((sizes) => new Set(sizes).size === sizes.length, "each size at most once");

export const thumbnailSchema = z.object({
  /** The longest side asked for; the image keeps its aspect ratio and is never enlarged. */
  size: z.number().int(),
  /** Where the API serves it: `GET /images/<id>/thumbnails/<size>`. */
  path: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});
export type Thumbnail = z.infer<typeof thumbnailSchema>;

export const imageSchema = z.object({
  id: z.uuid(),
  filename: z.string(),
  format: z.enum(acceptedImageFormats),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  /** The `image.resize` run enqueued with the upload. */
  resizeRunId: z.uuid().nullable(),
  uploadedBy: z.string(),
  createdAt: z.date(),
  /** Those made so far, smallest first; empty until the resize run has succeeded. */
  thumbnails: z.array(thumbnailSchema),
});
export type Image = z.infer<typeof imageSchema>;

export const imageIdInputSchema = z.strictObject({ id: z.uuid() });

/** What `POST /images` answers with (201). */
export interface UploadedImage {
  id: string;
  resizeRunId: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
}

/** Where a thumbnail is served. */
export function thumbnailPath(imageId: string, size: number): string {
  return `/images/${imageId}/thumbnails/${size}`;
}
