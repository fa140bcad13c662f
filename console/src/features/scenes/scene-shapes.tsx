import { useRef } from 'react';
import { useRenderedWidth } from '../../hooks/use-rendered-width';
import type { DraftLine, DraftRegion, DraftZone, Point } from './scene-draft';

// Zones and lines drawn in an SVG whose viewBox is the frame's size in pixels, so that shapes keep
// the frame's proportions; `px` (viewBox units per screen pixel) keeps strokes, handles and text
// the same size on screen however large the picture is shown.

const COLOURS = ['#4fc3f7', '#9ccc65', '#ce93d8', '#ffab40', '#80cbc4', '#f48fb1'];
const INVALID = '#ff5252';

export const colourOf = (index: number): string => COLOURS[index % COLOURS.length]!;

export interface ShapeProps {
  regions: DraftRegion[];
  width: number;
  height: number;
  px: number;
  selectedKey?: string | null;
  /** Regions the API or the console found a problem with: outlined in red. */
  invalidKeys?: ReadonlySet<string>;
  /** Makes each region clickable. */
  onSelect?: (key: string) => void;
}

/** Every region, zones below lines, each with its name. */
export function SceneShapes(props: ShapeProps) {
  const { regions } = props;
  const indexed = regions.map((region, index) => ({ region, index }));
  return (
    <g>
      {indexed
        .filter(({ region }) => region.kind === 'zone')
        .map(({ region, index }) => (
          <ZoneShape key={region.key} {...props} zone={region as DraftZone} colour={colourOf(index)} />
        ))}
      {indexed
        .filter(({ region }) => region.kind === 'line')
        .map(({ region, index }) => (
          <LineShape key={region.key} {...props} line={region as DraftLine} colour={colourOf(index)} />
        ))}
    </g>
  );
}

/** The attributes of a region's group: its name for tests, and a click that selects it (when it can). */
function regionGroup(region: { key: string; name: string }, onSelect: ShapeProps['onSelect']) {
  return {
    className: onSelect ? 'scene-region selectable' : 'scene-region',
    'data-region': region.name,
    onClick: onSelect
      ? (event: { stopPropagation(): void }) => {
          event.stopPropagation();
          onSelect(region.key);
        }
      : undefined,
  };
}

function ZoneShape({
  zone,
  colour,
  width,
  height,
  px,
  selectedKey,
  invalidKeys,
  onSelect,
}: ShapeProps & { zone: DraftZone; colour: string }) {
  const selected = zone.key === selectedKey;
  const invalid = invalidKeys?.has(zone.key) ?? false;
  const points = zone.polygon.map((point) => `${point.x * width},${point.y * height}`).join(' ');
  const centre = {
    x: (zone.polygon.reduce((sum, point) => sum + point.x, 0) / zone.polygon.length) * width,
    y: (zone.polygon.reduce((sum, point) => sum + point.y, 0) / zone.polygon.length) * height,
  };
  return (
    <g {...regionGroup(zone, onSelect)}>
      <polygon
        points={points}
        fill={colour}
        fillOpacity={selected ? 0.32 : 0.18}
        stroke={invalid ? INVALID : colour}
        strokeWidth={selected ? 3 : 2}
        strokeDasharray={invalid ? '6 4' : undefined}
        vectorEffect="non-scaling-stroke"
        strokeLinejoin="round"
      />
      <ShapeName at={centre} px={px} text={zone.name} />
    </g>
  );
}

function LineShape({
  line,
  colour,
  width,
  height,
  px,
  selectedKey,
  invalidKeys,
  onSelect,
}: ShapeProps & { line: DraftLine; colour: string }) {
  const selected = line.key === selectedKey;
  const invalid = invalidKeys?.has(line.key) ?? false;
  const from = { x: line.from.x * width, y: line.from.y * height };
  const to = { x: line.to.x * width, y: line.to.y * height };
  const middle = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  // Looking from A to B with y growing downwards, (dy, -dx) points to the left.
  const left = { x: (to.y - from.y) / length, y: -(to.x - from.x) / length };
  const arrow =
    line.allowedDirection === 'to-left' ? left : line.allowedDirection === 'to-right' ? neg(left) : null;
  const stroke = invalid ? INVALID : colour;
  return (
    <g {...regionGroup(line, onSelect)}>
      {/* A wide, invisible stroke: a thin line is easy to miss with the pointer. */}
      <line {...ends(from, to)} stroke="transparent" strokeWidth={16 * px} pointerEvents="stroke" />
      <line
        {...ends(from, to)}
        stroke="#111"
        strokeOpacity={0.6}
        strokeWidth={selected ? 7 : 5}
        vectorEffect="non-scaling-stroke"
        strokeLinecap="round"
      />
      <line
        {...ends(from, to)}
        stroke={stroke}
        strokeWidth={selected ? 4 : 3}
        strokeDasharray={invalid ? '6 4' : undefined}
        vectorEffect="non-scaling-stroke"
        strokeLinecap="round"
      />
      {arrow && <DirectionArrow at={middle} towards={arrow} px={px} colour={stroke} />}
      {/* The ends' names: "left" and "right" are seen looking from A to B. */}
      <ShapeName at={offset(from, neg(unit(to, from)), 11 * px)} px={px} text="A" size={11} />
      <ShapeName at={offset(to, unit(to, from), 11 * px)} px={px} text="B" size={11} />
      <ShapeName at={offset(middle, arrow ? neg(arrow) : left, 14 * px)} px={px} text={line.name} />
    </g>
  );
}

/** An arrow from the line's middle towards the side one may cross to, outlined to show on any picture. */
function DirectionArrow({
  at,
  towards,
  px,
  colour,
}: {
  at: Point;
  towards: Point;
  px: number;
  colour: string;
}) {
  const tip = offset(at, towards, 42 * px);
  const base = offset(at, towards, 26 * px);
  const across = { x: -towards.y, y: towards.x };
  const head = [tip, offset(base, across, 9 * px), offset(base, neg(across), 9 * px)]
    .map((point) => `${point.x},${point.y}`)
    .join(' ');
  const shaft = { x1: at.x, y1: at.y, x2: base.x, y2: base.y };
  return (
    <g className="direction-arrow">
      <line {...shaft} stroke="#111" strokeWidth={7} vectorEffect="non-scaling-stroke" />
      <line {...shaft} stroke={colour} strokeWidth={4} vectorEffect="non-scaling-stroke" />
      <polygon
        points={head}
        fill={colour}
        stroke="#111"
        strokeWidth={1.5}
        strokeLinejoin="round"
        vectorEffect="non-scaling-stroke"
      />
    </g>
  );
}

/** A region's name, light text with a dark outline so it reads on any picture. */
export function ShapeName({
  at,
  px,
  text,
  size = 13,
}: {
  at: Point;
  px: number;
  text: string;
  /** In screen pixels. */
  size?: number;
}) {
  return (
    <text
      x={at.x}
      y={at.y}
      fontSize={size * px}
      fontWeight={700}
      textAnchor="middle"
      dominantBaseline="middle"
      fill="#fff"
      stroke="#111"
      strokeWidth={3 * px}
      paintOrder="stroke"
      pointerEvents="none"
    >
      {text}
    </text>
  );
}

/**
 * The regions over a picture of `width` x `height` pixels, read only: the overlay of keyframes
 * (beside the objects' boxes) and of the stream page for those who do not edit.
 */
export function SceneOverlay({
  regions,
  width,
  height,
}: {
  regions: DraftRegion[];
  width: number;
  height: number;
}) {
  const ref = useRef<SVGSVGElement>(null);
  const shown = useRenderedWidth(ref);
  return (
    <svg ref={ref} className="scene-overlay" viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
      <SceneShapes regions={regions} width={width} height={height} px={shown ? width / shown : 1} />
    </svg>
  );
}

const ends = (from: Point, to: Point) => ({ x1: from.x, y1: from.y, x2: to.x, y2: to.y });
const neg = (vector: Point): Point => ({ x: -vector.x, y: -vector.y });
const offset = (point: Point, direction: Point, distance: number): Point => ({
  x: point.x + direction.x * distance,
  y: point.y + direction.y * distance,
});
function unit(to: Point, from: Point): Point {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: (to.x - from.x) / length, y: (to.y - from.y) / length };
}
