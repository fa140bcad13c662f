/*
 * The scene of a stream: zones and tripwires drawn on its picture. One definition for the API
 * that stores them and the local analyser that turns tracked objects into zone and line events.
 */

/** A point in fractions of the frame, 0..1, from its top left corner. */
export interface Point {
  x: number;
  y: number;
}

/** An area of the scene (a lawn, a walkway): enter, leave and dwell happen here. */
export interface Zone {
  kind: 'zone';
  id: string;
  name: string;
  polygon: Point[];
  /** Labels it applies to; empty for every label. */
  labels: string[];
  /** This many tracked objects in the zone at once are a crowd (absent: no crowd events). */
  crowdAt?: number;
  /** Staying longer than this is loitering (a dwell event); absent: the analyser's default. */
  dwellSeconds?: number;
  /** How serious an event in this zone is (its anomalies' severity); absent: the event type's default. */
  severity?: Severity;
}

/** A tripwire: crossing it, one way or the other, is an event. */
export interface Tripwire {
  kind: 'line';
  id: string;
  name: string;
  from: Point;
  to: Point;
  labels: string[];
  /** The only way one may cross; crossing the other way is a wrong-way event. Absent: either way. */
  allowedDirection?: CrossDirection;
  severity?: Severity;
}

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type SceneRegion = Zone | Tripwire;

/** Looking from `from` towards `to`: the side an object crossed towards. */
export const CROSS_DIRECTIONS = ['to-left', 'to-right'] as const;
export type CrossDirection = (typeof CROSS_DIRECTIONS)[number];
