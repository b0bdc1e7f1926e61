import { type HotelInput, hotelInputSchema } from "@conveyor/shared";
import { useForm } from "react-hook-form";
import { FormField } from "../../../components/FormField";
import { trpc } from "../../../trpc";
import { ExampleForm } from "../ExampleForm";
import { showApiError, zodResolver } from "../zodForm";

const fields = ["name", "city", "country", "stars", "pricePerNightCents", "rooms"] as const;

/** Adds a hotel; the API invalidates the cached listing before it answers, so the list shows it at once. */
export function HotelForm({ city }: { city: string | undefined }) {
  const utils = trpc.useUtils();
  const { register, handleSubmit, setError, resetField, formState } = useForm<HotelInput, unknown, HotelInput>({
    resolver: zodResolver(hotelInputSchema),
    defaultValues: { name: "", city: city ?? "", country: "" },
  });
  const createHotel = trpc.hotels.create.useMutation({
    onSuccess: () => {
      // The next hotel is likely in the same place and class: only the name starts over.
      resetField("name");
      return utils.hotels.list.invalidate();
    },
    onError: (error) => showApiError(error, setError, fields),
  });
  const { errors } = formState;
  const number = { valueAsNumber: true } as const;
  const added = createHotel.data;

  return (
    <ExampleForm
      id="hotel"
      title="Add a hotel"
      submitLabel="Add hotel"
      isPending={createHotel.isPending}
      onSubmit={handleSubmit((input) => createHotel.mutate(input))}
      error={errors.root?.server?.message}
      status={added && `Added ${added.name} in ${added.city}.`}
    >
      <div className="example-fields">
        <FormField form="hotel" name="name" label="Name" error={errors.name?.message}>
          {(control) => <input {...control} {...register("name")} autoComplete="off" />}
        </FormField>
        <FormField form="hotel" name="city" label="City" error={errors.city?.message}>
          {(control) => <input {...control} {...register("city")} autoComplete="off" />}
        </FormField>
        <FormField form="hotel" name="country" label="Country" error={errors.country?.message}>
          {(control) => <input {...control} {...register("country")} autoComplete="off" />}
        </FormField>
        <FormField form="hotel" name="stars" label="Stars" hint="1 to 5" error={errors.stars?.message}>
          {(control) => <input {...control} {...register("stars", number)} type="number" min={1} max={5} step={1} />}
        </FormField>
        <FormField
          form="hotel"
          name="pricePerNightCents"
          label="Price per night"
          hint="in cents, so money stays exact"
          error={errors.pricePerNightCents?.message}
        >
          {(control) => (
            <input {...control} {...register("pricePerNightCents", number)} type="number" min={0} step={1} />
          )}
        </FormField>
        <FormField form="hotel" name="rooms" label="Rooms" error={errors.rooms?.message}>
          {(control) => <input {...control} {...register("rooms", number)} type="number" min={1} step={1} />}
        </FormField>
      </div>
    </ExampleForm>
  );
}
