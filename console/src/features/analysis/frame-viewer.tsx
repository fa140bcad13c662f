import { useState } from 'react';
import { formatClock, formatHashPrefix, formatPercent } from '../../lib/format';
import type { DraftRegion } from '../scenes/scene-draft';
import { SceneOverlay } from '../scenes/scene-shapes';
import type { DetectedObject } from './analysis-result';

export interface FrameInfo {
  id: string;
  url: string;
  capturedAt: string;
  sequence: number;
  skippedBefore: number;
  width: number;
  height: number;
  sha256: string;
}

const BOX_COLOURS = ['#ffbf47', '#4fc3f7', '#ff6e6e', '#9ccc65', '#ce93d8', '#ffab40'];

/**
 * The keyframes of a window: a filmstrip with capture times, a mark wherever dedup skipped
 * near-duplicate frames, and the chosen frame large with the objects' boxes drawn over it, and
 * the stream's zones and lines under them when given.
 */
export function FrameViewer({
  frames,
  objects,
  regions = [],
}: {
  frames: FrameInfo[];
  objects: DetectedObject[];
  regions?: DraftRegion[];
}) {
  const [index, setIndex] = useState(0);
  const frame = frames[Math.min(index, frames.length - 1)];
  if (!frame)
    return <p className="muted">No frames are stored for this window (retention may have removed them).</p>;
  const position = Math.min(index, frames.length - 1);
  const boxes = objects.flatMap((object, objectIndex) =>
    (object.boxes ?? [])
      .filter((box) => box.frame === position)
      .map((box) => ({
        ...box,
        label: object.label,
        colour: BOX_COLOURS[objectIndex % BOX_COLOURS.length]!,
      })),
  );
  return (
    <div>
      <figure className="frame-view" style={{ margin: 0 }}>
        <img
          src={frame.url}
          width={frame.width}
          height={frame.height}
          alt={`Frame ${frame.sequence} captured ${formatClock(frame.capturedAt)}${boxes.length ? `, ${boxes.length} objects marked: ${[...new Set(boxes.map((b) => b.label))].join(', ')}` : ''}${regions.length ? `; zones and lines: ${regions.map((region) => region.name).join(', ')}` : ''}`}
        />
        {regions.length > 0 && <SceneOverlay regions={regions} width={frame.width} height={frame.height} />}
        <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          {boxes.map((box, i) => (
            <rect
              key={i}
              x={box.x}
              y={box.y}
              width={box.width}
              height={box.height}
              fill="none"
              stroke={box.colour}
              strokeWidth={0.004}
              vectorEffect="non-scaling-stroke"
              style={{ strokeWidth: 2 }}
            />
          ))}
        </svg>
        <div aria-hidden="true">
          {boxes.map((box, i) => (
            <span
              key={i}
              className="box-label"
              style={{
                position: 'absolute',
                left: `${box.x * 100}%`,
                top: `calc(${box.y * 100}% - 16px)`,
                background: box.colour,
                color: '#111',
                padding: '0 3px',
              }}
            >
              {box.label} {formatPercent(box.confidence)}
            </span>
          ))}
        </div>
        <figcaption className="muted">
          Frame #{frame.sequence} · {formatClock(frame.capturedAt)} · sha256 {formatHashPrefix(frame.sha256)}
        </figcaption>
      </figure>
      <div className="filmstrip" role="group" aria-label="Keyframes">
        {frames.map((item, i) => (
          <FilmstripEntry key={item.id} frame={item} selected={i === position} onSelect={() => setIndex(i)} />
        ))}
      </div>
    </div>
  );
}

function FilmstripEntry({
  frame,
  selected,
  onSelect,
}: {
  frame: FrameInfo;
  selected: boolean;
  onSelect: () => void;
}) {
  return (
    <>
      {frame.skippedBefore > 0 && (
        <span className="skip-mark" title={`${frame.skippedBefore} near-duplicate frames skipped`}>
          {frame.skippedBefore} skipped
        </span>
      )}
      <button
        type="button"
        aria-pressed={selected}
        onClick={onSelect}
        aria-label={`Frame ${frame.sequence} at ${formatClock(frame.capturedAt)}`}
      >
        <img src={frame.url} alt="" loading="lazy" />
        <span>{formatClock(frame.capturedAt)}</span>
      </button>
    </>
  );
}
