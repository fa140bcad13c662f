import { formatTime } from '../../lib/format';
import type { StreamView } from './use-stream';

/** The stream's sampling settings and counters. */
export function StreamFacts({ stream }: { stream: StreamView }) {
  return (
    <dl className="facts">
      <dt>fps (effective)</dt>
      <dd>
        {stream.fps} ({stream.effectiveFps ?? '—'})
      </dd>
      <dt>Frames</dt>
      <dd>
        {stream.framesSampled} sampled, {stream.framesKept} kept, {stream.framesSkipped} skipped as
        near-duplicates
      </dd>
      <dt>Windows</dt>
      <dd>
        {stream.windowsAnalysed} analysed, {stream.windowsQueued} made ({stream.windowSize} frames, stride{' '}
        {stream.windowStride})
      </dd>
      <dt>Template</dt>
      <dd>{stream.template?.name ?? '—'}</dd>
      <dt>Last frame</dt>
      <dd>{formatTime(stream.lastFrameAt)}</dd>
      {stream.lastError && (
        <>
          <dt>Last error</dt>
          <dd className="error-text">{stream.lastError}</dd>
        </>
      )}
    </dl>
  );
}
