import { type RegisterUserInput, registerUserInputSchema } from "@conveyor/shared";
import { useForm } from "react-hook-form";
import { trpc } from "../../../trpc";
import { FormError, FormField } from "../FormField";
import { showApiError, zodResolver } from "../zodForm";

const fields = ["username", "email"] as const;

/** Registers a user; the API answers a taken username or email on that field. */
export function RegisterForm() {
  const utils = trpc.useUtils();
  const { register, handleSubmit, setError, reset, formState } = useForm<RegisterUserInput, unknown, RegisterUserInput>(
    { resolver: zodResolver(registerUserInputSchema), defaultValues: { username: "", email: "" } },
  );
  const registerUser = trpc.users.register.useMutation({
    onSuccess: () => {
      reset();
      return utils.users.list.invalidate();
    },
    onError: (error) => showApiError(error, setError, fields),
  });
  const { errors } = formState;
  const registered = registerUser.data?.user;

  return (
    <section className="card" aria-labelledby="register-title">
      <h2 id="register-title">Register a user</h2>
      <form
        id="register"
        className="example-form"
        noValidate
        aria-labelledby="register-title"
        onSubmit={handleSubmit((input) => registerUser.mutate(input))}
      >
        <div className="example-fields">
          <FormField form="register" name="username" label="Username" error={errors.username?.message}>
            {(control) => <input {...control} {...register("username")} autoComplete="off" />}
          </FormField>
          <FormField form="register" name="email" label="Email" error={errors.email?.message}>
            {(control) => <input {...control} {...register("email")} type="email" autoComplete="off" />}
          </FormField>
        </div>
        <FormError message={errors.root?.server?.message} />
        <div className="form-actions">
          <button
            type="submit"
            className="button-primary"
            disabled={registerUser.isPending}
            aria-busy={registerUser.isPending}
          >
            Register
          </button>
        </div>
        {registered && (
          <p className="muted" role="status">
            Registered {registered.username}; the welcome email was enqueued in the same transaction.
          </p>
        )}
      </form>
    </section>
  );
}
