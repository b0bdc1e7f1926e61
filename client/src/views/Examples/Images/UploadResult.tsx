import type { UploadedImage } from "@conveyor/shared";
import { trpc } from "../../../trpc";
import { RunBadge } from "../RunBadge";
import type { FollowedRun } from "../useFollowedRuns";

const byteUnits = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${byteUnits.format(bytes / 1024)} KiB`;
  return `${byteUnits.format(bytes / (1024 * 1024))} MiB`;
}

interface UploadResultProps {
  image: UploadedImage;
  filename: string;
  /** The image's resize run, as far as it has been read. */
  run: FollowedRun | undefined;
}

/** One upload: what was stored, its resize run live, and the thumbnails once that run has made them. */
export function UploadResult({ image, filename, run }: UploadResultProps) {
  const isResized = run?.status === "succeeded";
  // Read once the run has succeeded: before that the image has no thumbnails to show.
  const stored = trpc.images.get.useQuery({ id: image.id }, { enabled: isResized });
  const thumbnails = stored.data?.thumbnails ?? [];
  return (
    <article className="card" data-testid="upload" data-image-id={image.id} aria-label={filename}>
      <div className="upload-summary">
        <strong>{filename}</strong>
        <span className="muted">
          {image.format.toUpperCase()} · {image.width}×{image.height} · {formatBytes(image.bytes)}
        </span>
        <span>
          Resize run <RunBadge runId={image.resizeRunId} status={run?.status} testId="resize-status" />
        </span>
      </div>
      {run?.error && (
        <p className="field-error">
          {run.error.name}: {run.error.message}
        </p>
      )}
      {thumbnails.length > 0 ? (
        <div className="thumbnails">
          {thumbnails.map((thumbnail) => (
            <figure key={thumbnail.size}>
              <img
                src={thumbnail.path}
                width={thumbnail.width}
                height={thumbnail.height}
                alt={`${filename} at ${thumbnail.size} px`}
                data-testid="thumbnail"
                data-size={thumbnail.size}
              />
              <figcaption>
                {thumbnail.size} px · {thumbnail.width}×{thumbnail.height}
              </figcaption>
            </figure>
          ))}
        </div>
      ) : (
        <p className="muted">
          {run && !isResized && run.status !== "failed" && run.status !== "cancelled"
            ? "The thumbnails appear when the resize run has succeeded."
            : isResized
              ? "Loading the thumbnails…"
              : ""}
        </p>
      )}
    </article>
  );
}
