import { useId, useState } from 'react';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { QueryState } from '../../components/states';
import { formatTime } from '../../lib/format';
import { SceneCanvas } from './scene-canvas';
import { draftOf } from './scene-draft';
import { SceneEditor } from './scene-editor';
import { SceneTable } from './scene-table';
import { useStreamScene } from './use-stream-scene';

/**
 * A stream's zones and lines over its newest frame: editable by admins, read only for everyone
 * else. A save that lost to another one shows why and loads the newer version.
 */
export function StreamScenePanel({ streamId }: { streamId: string }) {
  const titleId = useId();
  const { user } = useSignedIn();
  const { stream, fetching, error, refresh } = useStreamScene(streamId);
  const [conflict, setConflict] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>Zones and lines</h2>
      {conflict && (
        <p className="error-text" role="alert">
          Not saved: {conflict}. The newest version is loaded below.
        </p>
      )}
      <QueryState fetching={fetching} error={error} data={stream} retry={refresh}>
        {({ scene, latestFrame }) =>
          can.administer(user.role) ? (
            <SceneEditor
              // A new version (saved here or elsewhere) starts a fresh draft from it.
              key={scene.version}
              streamId={streamId}
              scene={scene}
              frame={latestFrame ?? null}
              onSaved={() => {
                setConflict(null);
                refresh();
              }}
              onConflict={(message) => {
                setConflict(message);
                refresh();
              }}
            />
          ) : (
            <div className="scene-layout">
              <SceneCanvas
                frame={latestFrame ?? null}
                regions={draftOf(scene)}
                label="Zones and lines over the stream’s newest frame"
              />
              <div className="column">
                <p className="muted">
                  {scene.version === 0
                    ? 'No zones or lines are drawn on this stream; an admin draws them.'
                    : `Version ${scene.version}, saved ${formatTime(scene.savedAt)}${scene.savedBy ? ` by ${scene.savedBy}` : ''}. Only admins change them.`}
                </p>
                <SceneTable regions={draftOf(scene)} />
              </div>
            </div>
          )
        }
      </QueryState>
    </section>
  );
}
