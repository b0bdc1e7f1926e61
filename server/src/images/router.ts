import { imageIdInputSchema } from "@conveyor/shared";
import { router, viewerProcedure } from "../trpc.js";
import { getImage } from "./service.js";

export const imagesRouter = router({
  /** The image, its resize run and the thumbnails made so far. Uploads go to `POST /images`. */
  get: viewerProcedure.input(imageIdInputSchema).query(({ ctx, input }) => getImage(ctx.db, input.id)),
});
