import { Empty } from '../../components/states';
import { formatClock } from '../../lib/format';
import type { ReportAnalysis } from './reports.documents';
import type { FrameUrls } from './use-report';

/** An analysis's frames with their hashes; the images when their signed URLs could be loaded. */
export function ReportFrames({
  analysis,
  urls,
  urlsUnavailable,
}: {
  analysis: ReportAnalysis;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  return (
    <>
      <h3>Frames</h3>
      {urlsUnavailable && (
        <p className="muted">The frame images could not be loaded; their hashes below are from the report.</p>
      )}
      {analysis.frames.length === 0 ? (
        <Empty>No frames of this window are stored.</Empty>
      ) : (
        <ReportFrameGrid frames={analysis.frames} label={`Frames of analysis ${analysis.id}`} urls={urls} />
      )}
      {analysis.missingFrameIds.length > 0 && (
        <p className="muted">
          {analysis.missingFrameIds.length} frame(s) of this window are no longer stored (retention):{' '}
          <span className="mono">{analysis.missingFrameIds.join(', ')}</span>
        </p>
      )}
    </>
  );
}

type ReportFrameFields = ReportAnalysis['frames'][number];

/** Frames as a grid of images, each with its sequence, capture time and sha256. */
export function ReportFrameGrid({
  frames,
  label,
  urls,
}: {
  frames: readonly ReportFrameFields[];
  label: string;
  urls: FrameUrls;
}) {
  return (
    <ul className="report-frames" aria-label={label}>
      {frames.map((frame) => (
        <li key={frame.id}>
          <ReportFrame frame={frame} url={urls.get(frame.id)} />
        </li>
      ))}
    </ul>
  );
}

function ReportFrame({ frame, url }: { frame: ReportFrameFields; url: string | undefined }) {
  return (
    <figure>
      {url ? (
        <img
          src={url}
          width={frame.width}
          height={frame.height}
          alt={`Frame ${frame.sequence}, captured ${formatClock(frame.capturedAt)}`}
        />
      ) : (
        <div className="frame-missing" role="img" aria-label={`Frame ${frame.sequence}: no image`}>
          no image
        </div>
      )}
      <figcaption>
        <span>
          #{frame.sequence} ·{' '}
          <time dateTime={frame.capturedAt} title={frame.capturedAt}>
            {formatClock(frame.capturedAt)}
          </time>{' '}
          · {frame.width}×{frame.height}
        </span>
        {frame.skippedBefore > 0 && (
          <span className="muted">{frame.skippedBefore} near-duplicates skipped before</span>
        )}
        <span>
          <span className="muted">sha256 </span>
          <code className="hash">{frame.sha256}</code>
        </span>
      </figcaption>
    </figure>
  );
}
