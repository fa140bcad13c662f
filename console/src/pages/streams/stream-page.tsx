import { Link, useParams } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { StatusBadge } from '../../components/badges';
import { Empty, QueryState } from '../../components/states';
import { asResult } from '../../features/analysis/analysis-result';
import { RunningAnalysisPanel } from '../../features/analysis/running-analysis-panel';
import { LatestWindow } from '../../features/streams/latest-window';
import { RecentAnalyses } from '../../features/streams/recent-analyses';
import { StreamControls } from '../../features/streams/stream-controls';
import { StreamScenePanel } from '../../features/scenes/stream-scene-panel';
import { StreamFacts } from '../../features/streams/stream-facts';
import { useStream } from '../../features/streams/use-stream';

/**
 * One stream: its latest frames with the boxes of the latest analysis, recent analyses, and its
 * zones and lines (drawn and saved by admins).
 */
export function StreamPage() {
  const { streamId = '' } = useParams();
  const { user } = useSignedIn();
  const { stream: loaded, fetching, error, refresh } = useStream(streamId);

  return (
    <section className="page" aria-labelledby="stream-title">
      <p>
        <Link to="/streams">← All streams</Link>
      </p>
      <QueryState fetching={fetching} error={error} data={loaded} retry={refresh}>
        {(stream) => {
          const analyses = stream.analyses.edges.map((edge) => edge.node);
          // The newest analysed window: its frames with the boxes its analysis found.
          const latestAnalysis = analyses.find((analysis) => analysis.status !== 'RUNNING') ?? analyses[0];
          const running = analyses.find((analysis) => analysis.status === 'RUNNING');
          return (
            <>
              <div className="toolbar">
                <h1 id="stream-title">{stream.name}</h1>
                <StatusBadge status={stream.status} />
                {/* An archived stream is kept for its evidence: nothing starts or stops it again. */}
                {can.moderate(user.role) && stream.status !== 'ARCHIVED' && (
                  <StreamControls stream={stream} onChanged={refresh} />
                )}
              </div>
              {stream.status === 'ARCHIVED' && (
                <p>Archived: kept for its incidents, decisions and analyses, and no longer sampled.</p>
              )}
              <StreamFacts stream={stream} />
              <RunningAnalysisPanel analysis={running} onFinished={refresh} />
              <div className="grid-2">
                <div className="card">
                  <h2>Latest analysed window</h2>
                  {latestAnalysis ? (
                    <LatestWindow
                      windowId={latestAnalysis.windowId}
                      objects={asResult(latestAnalysis.result)?.objects ?? []}
                    />
                  ) : (
                    <Empty>No window analysed yet.</Empty>
                  )}
                </div>
                <div className="card">
                  <h2>Recent analyses</h2>
                  <RecentAnalyses analyses={analyses} />
                </div>
              </div>
              <StreamScenePanel streamId={stream.id} />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
