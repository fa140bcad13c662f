import { useEffect, useRef } from 'react';
import { Fact, Facts } from '../../components/facts';
import { HashPrefix, Time } from '../../components/formatted';
import { Empty, ErrorState, Loading } from '../../components/states';
import { useIncidentClip } from './use-incident-clip';

const KIB = 1024;
const formatBytes = (bytes: number) =>
  bytes >= KIB * KIB
    ? `${(bytes / KIB / KIB).toFixed(1)} MiB`
    : `${Math.max(1, Math.round(bytes / KIB))} KiB`;

/**
 * The incident's evidence clip in a <video> player: its frames at their real pace with capture times
 * burnt in, seekable (the API answers Range requests). Asking for it builds a missing or stale clip,
 * which takes seconds. When the signed URL expires the next range request fails; the player then
 * fetches a fresh URL and carries on where it was.
 */
export function IncidentClipPlayer({
  incidentId,
  title = 'Evidence clip',
}: {
  incidentId: string;
  title?: string;
}) {
  const { clip, loaded, fetching, error, renew } = useIncidentClip(incidentId);
  const video = useRef<HTMLVideoElement>(null);
  const resumeAt = useRef<number | null>(null);

  // A renewed URL reloads the video: continue from where it was.
  useEffect(() => {
    const element = video.current;
    if (!element || resumeAt.current === null) return;
    const at = resumeAt.current;
    const resume = () => {
      element.currentTime = at;
      resumeAt.current = null;
    };
    element.addEventListener('loadedmetadata', resume, { once: true });
    return () => element.removeEventListener('loadedmetadata', resume);
  }, [clip?.url]);

  let body;
  if (error && !clip) body = <ErrorState error={error} retry={renew} />;
  else if (!loaded) body = fetching ? <Loading label="Building the clip" /> : null;
  else if (!clip) body = <Empty>No clip: none of this incident’s frames is stored any more.</Empty>;
  else
    body = (
      <>
        <video
          ref={video}
          className="incident-clip no-print"
          src={clip.url}
          controls
          preload="metadata"
          playsInline
          muted
          aria-label={`${title}: ${clip.frames} frames with their capture times`}
          onError={() => {
            resumeAt.current = video.current?.currentTime ?? 0;
            renew();
          }}
        />
        <Facts>
          <Fact label="Frames">{clip.frames}</Fact>
          <Fact label="Size">{formatBytes(clip.bytes)}</Fact>
          <Fact label="Built">
            <Time iso={clip.builtAt} />
          </Fact>
          <Fact label="sha256">
            <HashPrefix hash={clip.sha256} />
          </Fact>
        </Facts>
      </>
    );

  return (
    <section className="card evidence-clip" aria-label={title}>
      <h2>{title}</h2>
      {body}
    </section>
  );
}
