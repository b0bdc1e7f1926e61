import { type RegisterUserInput, registerUserInputSchema } from "@conveyor/shared";
import { useForm } from "react-hook-form";
import { FormField } from "../../../components/FormField";
import { trpc } from "../../../trpc";
import { ExampleForm } from "../ExampleForm";
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
    <ExampleForm
      id="register"
      title="Register a user"
      submitLabel="Register"
      isPending={registerUser.isPending}
      onSubmit={handleSubmit((input) => registerUser.mutate(input))}
      error={errors.root?.server?.message}
      status={
        registered && `Registered ${registered.username}; the welcome email was enqueued in the same transaction.`
      }
    >
      <div className="example-fields">
        <FormField form="register" name="username" label="Username" error={errors.username?.message}>
          {(control) => <input {...control} {...register("username")} autoComplete="off" />}
        </FormField>
        <FormField form="register" name="email" label="Email" error={errors.email?.message}>
          {(control) => <input {...control} {...register("email")} type="email" autoComplete="off" />}
        </FormField>
      </div>
    </ExampleForm>
  );
}
