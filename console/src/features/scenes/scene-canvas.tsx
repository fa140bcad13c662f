import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useRenderedWidth } from '../../hooks/use-rendered-width';
import { formatTime } from '../../lib/format';
import { canClose, clampPoint, type DraftRegion, type Drawing, type Point } from './scene-draft';
import { colourOf, SceneShapes } from './scene-shapes';

/** The picture the scene is drawn on: the stream's newest frame, if it has one. */
export interface SceneFrame {
  url: string;
  width: number;
  height: number;
  capturedAt: string;
}

/** Without a frame, regions are drawn on a blank 4:3 picture. */
const BLANK = { width: 800, height: 600 };

/**
 * The frame with the scene over it. Read only without `edit`; with it: click a region to select
 * it, drag the selected region's points, and while drawing, each click adds a point (clicking a
 * zone's first point closes it).
 */
export function SceneCanvas({
  frame,
  regions,
  selectedKey = null,
  invalidKeys,
  drawing = null,
  edit,
  label,
}: {
  frame: SceneFrame | null;
  regions: DraftRegion[];
  selectedKey?: string | null;
  invalidKeys?: ReadonlySet<string>;
  drawing?: Drawing | null;
  label: string;
  edit?: {
    onSelect: (key: string | null) => void;
    onAddPoint: (point: Point) => void;
    onClose: () => void;
    onMovePoint: (key: string, handle: number, point: Point) => void;
  };
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const shown = useRenderedWidth(svgRef);
  const { width, height } = frame ?? BLANK;
  const px = shown ? width / shown : 1;
  const [hover, setHover] = useState<Point | null>(null);
  const dragging = useRef<{ key: string; handle: number } | null>(null);
  // Pressing a point ends with a click (on the picture while it holds the pointer), which must not
  // also deselect or add anything.
  const pressed = useRef(false);

  const pointOf = (event: { clientX: number; clientY: number }): Point => {
    const box = svgRef.current!.getBoundingClientRect();
    return clampPoint({
      x: (event.clientX - box.left) / box.width,
      y: (event.clientY - box.top) / box.height,
    });
  };

  const selected = regions.find((region) => region.key === selectedKey);
  const handles: Point[] = !selected
    ? []
    : selected.kind === 'zone'
      ? selected.polygon
      : [selected.from, selected.to];

  function startDrag(event: ReactPointerEvent, handle: number) {
    if (!edit || !selected || drawing) return;
    event.stopPropagation();
    svgRef.current?.setPointerCapture(event.pointerId);
    dragging.current = { key: selected.key, handle };
    pressed.current = true;
  }

  return (
    <div className="scene-canvas">
      {frame ? (
        <img
          src={frame.url}
          width={frame.width}
          height={frame.height}
          alt={`The stream’s newest frame, captured ${formatTime(frame.capturedAt)}`}
        />
      ) : (
        <div className="scene-blank" role="img" aria-label="No frame yet">
          <span>No frame yet: the stream has not been sampled.</span>
        </div>
      )}
      <svg
        ref={svgRef}
        viewBox={`0 0 ${width} ${height}`}
        className={drawing ? 'drawing' : edit ? 'editing' : undefined}
        role="group"
        aria-label={label}
        data-testid="scene-canvas"
        onClick={(event) => {
          if (!edit) return;
          if (pressed.current) {
            pressed.current = false;
            return;
          }
          if (drawing) edit.onAddPoint(pointOf(event));
          else edit.onSelect(null);
        }}
        onPointerMove={(event) => {
          if (dragging.current && edit) {
            edit.onMovePoint(dragging.current.key, dragging.current.handle, pointOf(event));
          } else if (drawing) {
            setHover(pointOf(event));
          }
        }}
        onPointerUp={() => {
          dragging.current = null;
        }}
        onPointerLeave={() => setHover(null)}
      >
        <g pointerEvents={drawing ? 'none' : undefined}>
          <SceneShapes
            regions={regions}
            width={width}
            height={height}
            px={px}
            selectedKey={selectedKey}
            invalidKeys={invalidKeys}
            onSelect={edit && !drawing ? (key) => edit.onSelect(key) : undefined}
          />
        </g>
        {edit &&
          !drawing &&
          handles.map((point, index) => (
            <circle
              key={index}
              className="scene-handle"
              data-handle={index}
              cx={point.x * width}
              cy={point.y * height}
              r={7 * px}
              fill="#fff"
              stroke="#111"
              strokeWidth={2}
              vectorEffect="non-scaling-stroke"
              onPointerDown={(event) => startDrag(event, index)}
              onClick={(event) => {
                event.stopPropagation();
                pressed.current = false;
              }}
            />
          ))}
        {drawing && (
          <DrawingShape
            drawing={drawing}
            hover={hover}
            width={width}
            height={height}
            px={px}
            colour={colourOf(regions.length)}
            onClose={edit?.onClose}
          />
        )}
      </svg>
    </div>
  );
}

/** The zone or line being drawn: its points so far and a segment to the pointer. */
function DrawingShape({
  drawing,
  hover,
  width,
  height,
  px,
  colour,
  onClose,
}: {
  drawing: Drawing;
  hover: Point | null;
  width: number;
  height: number;
  px: number;
  colour: string;
  onClose?: () => void;
}) {
  const points = [...drawing.points, ...(hover ? [hover] : [])];
  const closable = canClose(drawing);
  return (
    <g className="scene-drawing">
      <polyline
        points={points.map((point) => `${point.x * width},${point.y * height}`).join(' ')}
        fill={drawing.kind === 'zone' ? colour : 'none'}
        fillOpacity={0.15}
        stroke={colour}
        strokeWidth={3}
        strokeDasharray="8 5"
        vectorEffect="non-scaling-stroke"
        pointerEvents="none"
      />
      {drawing.points.map((point, index) => {
        const first = index === 0 && closable;
        return (
          <circle
            key={index}
            data-testid={first ? 'close-zone' : undefined}
            cx={point.x * width}
            cy={point.y * height}
            r={(first ? 9 : 5) * px}
            fill={first ? colour : '#fff'}
            stroke="#111"
            strokeWidth={2}
            vectorEffect="non-scaling-stroke"
            style={first ? { cursor: 'pointer' } : undefined}
            pointerEvents={first ? undefined : 'none'}
            onClick={
              first
                ? (event) => {
                    event.stopPropagation();
                    onClose?.();
                  }
                : undefined
            }
          >
            {first && <title>Close the zone</title>}
          </circle>
        );
      })}
    </g>
  );
}
