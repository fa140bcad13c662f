import { usePauseStream, useStartStream, useStopStream } from './use-stream-controls';

/** Pause or start, and stop: for those who may control streams. */
export function StreamControls({
  stream,
  onChanged,
}: {
  stream: { id: string; status: string };
  onChanged: () => void;
}) {
  const [, pause] = usePauseStream(onChanged);
  const [, start] = useStartStream(onChanged);
  const [, stop] = useStopStream(onChanged);
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
      <button type="button" className="danger" onClick={() => void stop({ id: stream.id })}>
        Stop
      </button>
    </>
  );
}
