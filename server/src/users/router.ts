import { listUsersInputSchema, registerUserInputSchema, userIdInputSchema } from "@conveyor/shared";
import { cachedListingQuery, invalidateAfter } from "../cache/procedures.js";
import { operatorProcedure, router } from "../trpc.js";
import { deleteUser, listUsers, registerUser } from "./service.js";

export const usersRouter = router({
  /** Read through the cache; registering or deleting a user invalidates it. */
  list: cachedListingQuery("users", listUsersInputSchema, (ctx, input) => listUsers(ctx.db, input)),

  /** Inserts the user and enqueues the welcome email and the audit entry, all in one transaction. */
  register: operatorProcedure
    .input(registerUserInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "userWrite", () => registerUser(ctx.db, ctx.catalog, input, ctx.principal.name)),
    ),

  /** Deletes the user and enqueues the audit entry in the same transaction. */
  delete: operatorProcedure
    .input(userIdInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "userWrite", () => deleteUser(ctx.db, ctx.catalog, input.id, ctx.principal.name)),
    ),
});
