import { useForm } from "react-hook-form";
import { useLocation, useSearchParams } from "wouter";
import { useSignIn } from "../../session";

/** Why the server sent the browser here, from `#/login?error=…`. */
const reasons: Record<string, string> = {
  "invalid-token": "That sign-in link holds no valid token; it may have been revoked.",
};

/** Asks for an API token; shown at `#/login` and in place of any view while signed out. */
export function SignInView() {
  const [params] = useSearchParams();
  const [path, navigate] = useLocation();
  const signIn = useSignIn();
  const { register, handleSubmit, formState } = useForm<{ token: string }>({ defaultValues: { token: "" } });
  const reason = reasons[params.get("error") ?? ""];

  const onSubmit = handleSubmit(({ token }) =>
    signIn.mutate(token.trim(), {
      // Signed out while on another view, the reader stays there; from `#/login`, go home.
      onSuccess: () => {
        if (path === "/login") navigate("/", { replace: true });
      },
    }),
  );
  const tokenError = formState.errors.token?.message ?? signIn.error?.message;

  return (
    <section className="card sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p className="muted">
        Paste an API token: the one in the link printed at first start, or one made with{" "}
        <code>npm run token -- --role operator</code>.
      </p>
      {reason && (
        <div className="banner banner-error" role="alert">
          {reason}
        </div>
      )}
      <form onSubmit={onSubmit} noValidate>
        <div className="field" data-field="token">
          <label htmlFor="sign-in-token" className="field-label">
            Token
          </label>
          <input
            id="sign-in-token"
            type="password"
            autoComplete="current-password"
            spellCheck={false}
            aria-invalid={tokenError !== undefined || undefined}
            {...register("token", { validate: (value) => value.trim() !== "" || "Enter a token." })}
          />
          {tokenError && (
            <p className="field-error" role="alert">
              {tokenError}
            </p>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={signIn.isPending} aria-busy={signIn.isPending}>
            Sign in
          </button>
        </div>
      </form>
    </section>
  );
}
