import {
  defaultThumbnailSizes,
  hasRole,
  imageLimits,
  type Role,
  thumbnailSizeSchema,
  thumbnailSizesSchema,
} from "@conveyor/shared";
import fastifyMultipart from "@fastify/multipart";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { principalOf, roleTooLowMessage, tokenRequiredMessage } from "../auth/credentials.js";
import type { Principal } from "../auth/tokens.js";
import { invalidateAfter } from "../cache/procedures.js";
import { describeZodError } from "../errors.js";
import type { AppServices } from "../trpc.js";
import { ImageRejectedError, inspectImage } from "./inspectImage.js";
import { hasThumbnail, storeImage } from "./service.js";
import type { ImageStorage } from "./storage.js";

export interface ImageRoutesOptions {
  services: AppServices;
  storage: ImageStorage;
}

const uploadQuerySchema = z.strictObject({
  /** Comma-separated thumbnail sizes, e.g. `64,256`. */
  sizes: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(",").map((size) => Number(size.trim())) : [...defaultThumbnailSizes]))
    .pipe(thumbnailSizesSchema),
});

const thumbnailParamsSchema = z.object({ id: z.uuid(), size: z.coerce.number().pipe(thumbnailSizeSchema) });

/**
 * `POST /images` (multipart, operator) and `GET /images/:id/thumbnails/:size` (viewer). Plain
 * HTTP, not tRPC, because a file is a stream of bytes, not JSON. Registered as its own plugin, so
 * the multipart parser exists for these routes only.
 */
export const imageRoutes: FastifyPluginAsync<ImageRoutesOptions> = async (app, { services, storage }) => {
  await app.register(fastifyMultipart, {
    limits: { fileSize: imageLimits.imageUploadBytes, files: 1, fields: 10 },
  });

  /** The caller, or null after answering 401 or 403 in the words the tRPC procedures use. */
  async function authorize(request: FastifyRequest, reply: FastifyReply, required: Role): Promise<Principal | null> {
    const principal = await principalOf(request, services.authenticator);
    if (!principal) {
      await reply.code(401).send({ error: tokenRequiredMessage });
      return null;
    }
    if (!hasRole(principal.role, required)) {
      await reply.code(403).send({ error: roleTooLowMessage(principal, required) });
      return null;
    }
    return principal;
  }

  app.post("/images", async (request, reply) => {
    const principal = await authorize(request, reply, "operator");
    if (!principal) return reply;
    const query = uploadQuerySchema.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: describeZodError(query.error) });
    if (!request.isMultipart()) {
      return reply.code(400).send({ error: "file: send the image as multipart/form-data, in a field named file" });
    }
    const file = await request.file();
    if (!file) return reply.code(400).send({ error: "file: no file was sent" });
    let bytes: Buffer;
    try {
      bytes = await file.toBuffer();
    } catch (error) {
      if ((error as { code?: unknown }).code === "FST_REQ_FILE_TOO_LARGE") {
        return reply.code(413).send({
          error: `file: over the limit imageUploadBytes of ${imageLimits.imageUploadBytes} bytes (10 MiB)`,
        });
      }
      throw error;
    }
    try {
      const inspected = await inspectImage(bytes);
      // As runs.enqueue does: the next run listing shows the resize run (read-your-writes).
      const uploaded = await invalidateAfter(services, "enqueue", () =>
        storeImage(services.db, services.catalog, storage, {
          ...inspected,
          filename: file.filename || "upload",
          bytes,
          sizes: query.data.sizes,
          uploadedBy: principal.name,
        }),
      );
      return reply.code(201).send(uploaded);
    } catch (error) {
      if (error instanceof ImageRejectedError) return reply.code(error.statusCode).send({ error: error.message });
      throw error;
    }
  });

  app.get("/images/:id/thumbnails/:size", async (request, reply) => {
    if (!(await authorize(request, reply, "viewer"))) return reply;
    const params = thumbnailParamsSchema.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ error: describeZodError(params.error) });
    const { id, size } = params.data;
    if (!(await hasThumbnail(services.db, id, size))) {
      return reply.code(404).send({ error: `image ${id} has no thumbnail of size ${size}` });
    }
    return (
      reply
        .type("image/webp")
        // The bytes under this address never change (a retry writes the same thumbnail again).
        .header("cache-control", "private, max-age=86400")
        .send(storage.openThumbnail(id, size))
    );
  });
};
