/** A detected object as the result lists it, with its boxes (normalised 0..1) per frame of the window. */
export interface DetectedObject {
  label: string;
  confidence: number;
  boxes?: { frame: number; x: number; y: number; width: number; height: number; confidence: number }[];
}

/** The fields of an analysis result the console shows; templates may add others (shown as JSON). */
export interface AnalysisResult {
  timestamp?: string;
  objects?: (DetectedObject & { count?: number; frames?: number[] })[];
  actions?: { actor: string; action: string; target: string; start: string; end: string }[];
  anomalies?: { type: string; severity: string; description: string; evidence?: unknown }[];
  causalChain?: ({ cause?: string; effect?: string; at?: string } | string)[];
  rootCause?: string;
  verdict?: string;
  confidence?: number;
  /** Scene events found by the local analyser (tracks crossing lines, entering zones, loitering...). */
  events?: {
    id: string;
    type: string;
    label: string;
    trackIds: number[];
    zone?: string;
    direction?: string;
    start: string;
    end: string;
    seconds?: number;
    speed?: number;
    count?: number;
    severity: string;
  }[];
  /** How the local analyser reached its findings, in plain words: never a model's reasoning. */
  trace?: string[];
  /** The version of the stream's zones and lines the analyser applied (Stream.sceneAt). */
  sceneVersion?: number;
  [extra: string]: unknown;
}

/** The result JSON as an AnalysisResult, or null when it is not an object (no result yet). */
export function asResult(value: unknown): AnalysisResult | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as AnalysisResult) : null;
}
