import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../../api/graphql';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { asResult } from '../../components/analysis/findings';
import { FrameViewer, type DetectedObject } from '../../components/analysis/frame-viewer';
import { RunningAnalysisPanel } from '../../components/analysis/running-analysis';
import { StatusBadge } from '../../components/badges';
import { Empty, QueryState } from '../../components/states';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { useSubscriptionEvents } from '../../hooks/use-subscription-events';
import { formatTime } from '../../lib/format';

const StreamQuery = graphql(`
  query StreamView($id: ID!) {
    stream(streamId: $id) {
      id
      name
      kind
      status
      fps
      effectiveFps
      framesSampled
      framesKept
      framesSkipped
      windowsQueued
      windowsAnalysed
      lastFrameAt
      lastError
      analysisNotice
      windowSize
      windowStride
      template {
        id
        name
      }
      analyses(first: 15) {
        edges {
          node {
            id
            windowId
            status
            mode
            model
            latencyMs
            completedAt
            startedAt
            result
          }
        }
      }
    }
  }
`);

const WindowQuery = graphql(`
  query LatestWindow($id: ID!) {
    window(windowId: $id) {
      id
      index
      frames {
        id
        url
        capturedAt
        sequence
        skippedBefore
        width
        height
        sha256
      }
    }
  }
`);

const StreamEvents = graphql(`
  subscription StreamEvents($id: ID!) {
    analysisCompleted(streamId: $id) {
      analysisId
      status
    }
  }
`);

const StreamStatusEvents = graphql(`
  subscription StreamStatusEvents($id: ID!) {
    streamStatus(streamId: $id) {
      status
      lastError
    }
  }
`);

const PauseStream = graphql(`
  mutation PauseStream($id: ID!) {
    pauseStream(streamId: $id) {
      id
      status
    }
  }
`);
const StartStream = graphql(`
  mutation StartStream($id: ID!) {
    startStream(streamId: $id) {
      id
      status
    }
  }
`);
const StopStream = graphql(`
  mutation StopStream($id: ID!) {
    stopStream(streamId: $id) {
      id
      status
    }
  }
`);

/** One stream: its latest frames with the boxes of the latest analysis, and recent analyses. */
export function StreamPage() {
  const { streamId = '' } = useParams();
  const { user } = useSignedIn();
  const [{ data, fetching, error }, refetch] = useQuery({ query: StreamQuery, variables: { id: streamId } });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  useSubscriptionEvents(StreamEvents, { id: streamId }, refresh);
  useSubscriptionEvents(StreamStatusEvents, { id: streamId }, refresh);
  // Frames arrive and analyses start between the events above; a poll keeps the page current and
  // finds an analysis that has started, whose reasoning then streams in live.
  useEffect(() => {
    const timer = setInterval(refresh, 3000);
    return () => clearInterval(timer);
  }, [streamId]);
  const [, pause] = useMutationToast(PauseStream, 'Stream paused');
  const [, start] = useMutationToast(StartStream, 'Stream started');
  const [, stop] = useMutationToast(StopStream, 'Stream stopped');
  const controls = can.moderate(user.role);

  return (
    <section className="page" aria-labelledby="stream-title">
      <p>
        <Link to="/streams">← All streams</Link>
      </p>
      <QueryState fetching={fetching} error={error} data={data?.stream} retry={refresh}>
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
                {controls && (
                  <>
                    {stream.status === 'ACTIVE' ? (
                      <button type="button" onClick={() => void pause({ id: stream.id }).then(refresh)}>
                        Pause
                      </button>
                    ) : (
                      <button type="button" onClick={() => void start({ id: stream.id }).then(refresh)}>
                        Start
                      </button>
                    )}
                    <button
                      type="button"
                      className="danger"
                      onClick={() => void stop({ id: stream.id }).then(refresh)}
                    >
                      Stop
                    </button>
                  </>
                )}
              </div>
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
                  {stream.windowsAnalysed} analysed, {stream.windowsQueued} made ({stream.windowSize} frames,
                  stride {stream.windowStride})
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
                  {analyses.length === 0 ? (
                    <Empty>No analyses yet.</Empty>
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Finished</th>
                          <th scope="col">Status</th>
                          <th scope="col">Verdict</th>
                          <th scope="col">Latency</th>
                        </tr>
                      </thead>
                      <tbody>
                        {analyses.map((analysis) => (
                          <tr key={analysis.id}>
                            <td>{formatTime(analysis.completedAt ?? analysis.startedAt)}</td>
                            <td>
                              <StatusBadge status={analysis.status} /> {analysis.mode.toLowerCase()}
                            </td>
                            <td>{asResult(analysis.result)?.verdict ?? '—'}</td>
                            <td>{analysis.latencyMs} ms</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </div>
              </div>
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

function LatestWindow({ windowId, objects }: { windowId: string; objects: DetectedObject[] }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WindowQuery, variables: { id: windowId } });
  return (
    <QueryState fetching={fetching} error={error} data={data?.window} retry={() => refetch()}>
      {(window) => <FrameViewer key={window.id} frames={window.frames} objects={objects} />}
    </QueryState>
  );
}
