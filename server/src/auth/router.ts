import { createTokenInputSchema, tokenIdInputSchema } from "@conveyor/shared";
import { adminProcedure, publicProcedure, router } from "../trpc.js";
import { createToken, listTokens, revokeToken } from "./tokens.js";

export const tokensRouter = router({
  /** Returns the new token once; only its hash is kept. */
  create: adminProcedure.input(createTokenInputSchema).mutation(({ ctx, input }) => createToken(ctx.db, input)),

  list: adminProcedure.query(({ ctx }) => listTokens(ctx.db)),

  revoke: adminProcedure.input(tokenIdInputSchema).mutation(async ({ ctx, input }) => {
    const info = await revokeToken(ctx.db, input.id);
    ctx.authenticator.forgetAll();
    return info;
  }),
});

export const authRouter = router({
  /** Who the caller is, or null: lets a UI decide between its login screen and the app. */
  session: publicProcedure.query(({ ctx }) =>
    ctx.principal ? { name: ctx.principal.name, role: ctx.principal.role } : null,
  ),
});
