import { QueryState } from '../../components/states';
import type { DetectedObject } from '../analysis/analysis-result';
import { FrameViewer } from '../analysis/frame-viewer';
import { useWindowFrames } from './use-stream';

/** A window's keyframes with the boxes its analysis found. */
export function LatestWindow({ windowId, objects }: { windowId: string; objects: DetectedObject[] }) {
  const frames = useWindowFrames(windowId);
  return (
    <QueryState fetching={frames.fetching} error={frames.error} data={frames.window} retry={frames.retry}>
      {(window) => <FrameViewer key={window.id} frames={window.frames} objects={objects} />}
    </QueryState>
  );
}
