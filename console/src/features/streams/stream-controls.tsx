import { useState } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { usePauseStream, useStartStream, useStopStream } from './use-stream-controls';

/**
 * Pause or start, and stop: for those who may control streams. Stopping ends sampling and analysis
 * until someone starts the stream again, so it asks first; pausing and starting are undone by
 * each other.
 */
export function StreamControls({
  stream,
  onChanged,
}: {
  stream: { id: string; status: string; name?: string };
  onChanged: () => void;
}) {
  const [, pause] = usePauseStream(onChanged);
  const [, start] = useStartStream(onChanged);
  const [stopping, stop] = useStopStream(onChanged);
  const [asking, setAsking] = useState(false);
  return (
    <>
      {stream.status === 'ACTIVE' ? (
        <button type="button" onClick={() => void pause({ id: stream.id })}>
          Pause
        </button>
      ) : (
        <button type="button" onClick={() => void start({ id: stream.id })}>
          Start
        </button>
      )}
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        Stop…
      </button>
      <ConfirmDialog
        open={asking}
        title={`Stop ${stream.name ?? 'this stream'}?`}
        confirmLabel="Stop stream"
        danger
        busy={stopping.fetching}
        onCancel={() => setAsking(false)}
        onConfirm={() => {
          setAsking(false);
          void stop({ id: stream.id });
        }}
      >
        <p>
          Sampling and analysis stop now; nothing more of this stream is reviewed until someone starts it
          again. Items already in the queue stay there, marked “stream ended”.
        </p>
      </ConfirmDialog>
    </>
  );
}
