import type { UploadedImage } from "@conveyor/shared";
import { z } from "zod";

/** How `POST /images` words a refusal: `{ "error": "file: …" }`. */
const refusalSchema = z.object({ error: z.string() });

/** The API refused the upload; `message` is its own words, `status` its HTTP status (400, 413…). */
export class UploadRefusedError extends Error {
  override name = "UploadRefusedError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Sends one image to `POST /images`. Plain HTTP rather than tRPC, because a file is a stream of
 * bytes, not JSON; the page's session cookie goes with it, as the API is on the page's origin.
 */
export async function uploadImage(file: File, sizes: readonly number[]): Promise<UploadedImage> {
  const form = new FormData();
  form.append("file", file, file.name);
  const response = await fetch(`/images?sizes=${sizes.join(",")}`, { method: "POST", body: form });
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 201) return body as UploadedImage;
  const refusal = refusalSchema.safeParse(body).data;
  throw new UploadRefusedError(refusal?.error ?? `the upload failed with HTTP ${response.status}`, response.status);
}
