import { defaultThumbnailSizes, imageLimits, thumbnailSizesSchema, type UploadedImage } from "@conveyor/shared";
import { useMutation } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { FormField } from "../../../components/FormField";
import { ErrorBanner } from "../../../components/Notice";
import { ExampleForm } from "../ExampleForm";
import { zodResolver } from "../zodForm";
import { uploadImage } from "./uploadImage";

/** The thumbnail sizes offered; the API takes any size within its limits. */
const sizeChoices = [64, 128, 256] as const;

const mebibyte = 1024 * 1024;

/**
 * The upload, checked in the browser as far as it can be without decoding: a file within the
 * size limit, and sizes the API accepts. Whether the bytes are an image only the API can tell.
 */
const uploadFormSchema = z.object({
  file: z.preprocess(
    (files) => (files instanceof FileList ? files[0] : files),
    z
      .instanceof(File, { error: "choose an image to upload" })
      .refine(
        (file) => file.size <= imageLimits.imageUploadBytes,
        `over the limit imageUploadBytes of ${imageLimits.imageUploadBytes / mebibyte} MiB`,
      ),
  ),
  sizes: z.preprocess(
    (sizes) => (Array.isArray(sizes) ? sizes.map(Number) : []),
    thumbnailSizesSchema.min(1, "choose at least one size"),
  ),
});

interface UploadFormValues {
  file: FileList | undefined;
  sizes: string[];
}

/** A file and its thumbnail sizes; `onUploaded` gets the stored image and its resize run. */
export function UploadForm({ onUploaded }: { onUploaded: (image: UploadedImage, filename: string) => void }) {
  const { register, handleSubmit, resetField, formState } = useForm<
    UploadFormValues,
    unknown,
    z.output<typeof uploadFormSchema>
  >({
    resolver: zodResolver(uploadFormSchema),
    defaultValues: { file: undefined, sizes: defaultThumbnailSizes.map(String) },
  });
  const upload = useMutation({
    mutationFn: ({ file, sizes }: z.output<typeof uploadFormSchema>) => uploadImage(file, sizes),
    onSuccess: (image, { file }) => {
      resetField("file");
      onUploaded(image, file.name);
    },
  });
  const { errors } = formState;

  return (
    <ExampleForm
      id="upload"
      title="Upload an image"
      submitLabel="Upload"
      isPending={upload.isPending}
      onSubmit={handleSubmit((values) => upload.mutate(values))}
      footer={
        upload.isError && <ErrorBanner title="The image was not stored." error={upload.error} testId="upload-error" />
      }
    >
      <FormField
        form="upload"
        name="file"
        label="Image"
        hint={`JPEG, PNG or WebP, at most ${imageLimits.imageUploadBytes / mebibyte} MiB`}
        error={errors.file?.message}
      >
        {(control) => <input {...control} {...register("file")} type="file" accept="image/jpeg,image/png,image/webp" />}
      </FormField>
      <div data-field="sizes">
        <fieldset className="choices" aria-describedby={errors.sizes ? "upload-sizes-error" : undefined}>
          <legend>Thumbnail sizes</legend>
          {sizeChoices.map((size) => (
            <label key={size}>
              <input type="checkbox" value={String(size)} {...register("sizes")} />
              {size} px
            </label>
          ))}
        </fieldset>
        {errors.sizes && (
          <p id="upload-sizes-error" className="field-error" role="alert">
            {errors.sizes.message}
          </p>
        )}
      </div>
    </ExampleForm>
  );
}
