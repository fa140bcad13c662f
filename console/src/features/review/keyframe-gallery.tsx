import { useState } from 'react';
import { ModalFrame } from '../../components/modal-frame';
import { formatClock, formatHashPrefix } from '../../lib/format';
import type { FrameInfo } from '../analysis/frame-viewer';

/**
 * A strip of keyframes; each opens large in a modal viewer (click, or Enter on the focused
 * thumbnail), where ←/→ step through the frames and Escape closes.
 */
export function KeyframeGallery({ frames, label }: { frames: FrameInfo[]; label: string }) {
  const [open, setOpen] = useState<number | null>(null);
  if (frames.length === 0)
    return (
      <p className="muted">No keyframes are stored for this incident (retention may have removed them).</p>
    );
  const frame = open === null ? null : frames[open];
  return (
    <>
      <div className="keyframe-strip" role="group" aria-label={label}>
        {frames.map((item, index) => (
          <button
            key={item.id}
            type="button"
            className="keyframe-thumb"
            aria-label={`Enlarge frame ${item.sequence} at ${formatClock(item.capturedAt)}`}
            onClick={() => setOpen(index)}
          >
            <img src={item.url} alt="" loading="lazy" />
            <span>{formatClock(item.capturedAt)}</span>
          </button>
        ))}
      </div>
      <ModalFrame
        open={frame !== null && frame !== undefined}
        label={frame ? `Frame ${frame.sequence} at ${formatClock(frame.capturedAt)}` : 'Frame'}
        onClose={() => setOpen(null)}
        onKey={(key) => {
          if (open === null) return;
          if (key === 'ArrowRight') setOpen(Math.min(open + 1, frames.length - 1));
          if (key === 'ArrowLeft') setOpen(Math.max(open - 1, 0));
        }}
      >
        {frame && (
          <figure className="lightbox-figure">
            <img
              src={frame.url}
              width={frame.width}
              height={frame.height}
              alt={`Frame ${frame.sequence} captured ${formatClock(frame.capturedAt)}`}
            />
            <figcaption className="muted">
              {open! + 1} of {frames.length} · frame #{frame.sequence} · {formatClock(frame.capturedAt)} ·
              sha256 {formatHashPrefix(frame.sha256)} · <kbd>←</kbd>/<kbd>→</kbd> step, <kbd>Esc</kbd> close
            </figcaption>
          </figure>
        )}
      </ModalFrame>
    </>
  );
}
