import { imageResize, type UploadedImage } from "@conveyor/shared";
import { useState } from "react";
import { Placeholder } from "../../../components/Notice";
import { useCan } from "../../../components/RequireRole";
import { useFollowedRuns } from "../useFollowedRuns";
import { UploadForm } from "./UploadForm";
import { UploadResult } from "./UploadResult";

interface Upload {
  image: UploadedImage;
  filename: string;
}

/** Uploads kept on the page; older ones are still in the API. */
const shownUploads = 10;

/** Upload an image: the API stores it and enqueues its resize; the page follows that run to the thumbnails. */
export function ImagesView() {
  const canUpload = useCan("operator");
  const [uploads, setUploads] = useState<Upload[]>([]);
  const runs = useFollowedRuns(
    imageResize.name,
    uploads.map((upload) => upload.image.resizeRunId),
  );
  return (
    <>
      <h1>Images</h1>
      <p className="lead">
        The API checks and stores the file, then enqueues <code>image.resize</code> in the same transaction as the
        image's row; the thumbnails appear when that run has made them.
      </p>
      {canUpload ? (
        <UploadForm
          onUploaded={(image, filename) =>
            setUploads((previous) => [{ image, filename }, ...previous].slice(0, shownUploads))
          }
        />
      ) : (
        <Placeholder>Uploading images needs the operator role.</Placeholder>
      )}
      <section className="uploads" aria-label="Uploads">
        {uploads.map(({ image, filename }) => (
          <UploadResult key={image.id} image={image} filename={filename} run={runs.get(image.resizeRunId)} />
        ))}
      </section>
    </>
  );
}
