import { acceptedImageFormats, type ImageFormat, imageLimits } from "@conveyor/shared";
import sharp, { type Metadata } from "sharp";

/** An upload that is refused, with the HTTP status and a message naming the field and the rule. */
export class ImageRejectedError extends Error {
  override name = "ImageRejectedError";
  constructor(
    readonly statusCode: 400 | 413,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface InspectedImage {
  format: ImageFormat;
  width: number;
  height: number;
}

const acceptedList = "JPEG, PNG or WebP";

function isAccepted(format: string | undefined): format is ImageFormat {
  return (acceptedImageFormats as readonly string[]).includes(format ?? "");
}

/**
 * Reads the header only (no pixels are decoded, so this is cheap in the API) and refuses what the
 * resize task could not or should not process: non-images, refused formats, animations, and
 * canvases over the pixel limit.
 */
export async function inspectImage(bytes: Buffer): Promise<InspectedImage> {
  let metadata: Metadata;
  try {
    // No pixel limit here: the dimensions are checked below, to name the limit in the error.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageRejectedError(400, `file: not an image that can be read; send ${acceptedList}`, { cause: error });
  }
  const { format, width, height, pages } = metadata;
  if (!isAccepted(format)) {
    throw new ImageRejectedError(
      400,
      `file: ${String(format).toUpperCase()} images are not accepted; send ${acceptedList}`,
    );
  }
  if (!width || !height) throw new ImageRejectedError(400, "file: the image has no dimensions");
  if ((pages ?? 1) > 1) throw new ImageRejectedError(400, "file: animated images are not accepted");
  if (width * height > imageLimits.imagePixels) {
    throw new ImageRejectedError(
      400,
      `file: ${width}×${height} is ${width * height} pixels, over the limit imagePixels of ${imageLimits.imagePixels}`,
    );
  }
  return { format, width, height };
}
