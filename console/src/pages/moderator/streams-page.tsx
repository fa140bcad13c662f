import { useEffect } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../../api/graphql';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { StatusBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import { formatTime } from '../../lib/format';

const StreamsQuery = graphql(`
  query StreamList {
    streams(first: 100) {
      edges {
        node {
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
        }
      }
    }
  }
`);

/** How often the list refreshes its counters: the sampler updates them every few seconds. */
const REFRESH_MS = 5000;

export function StreamsPage() {
  const { user } = useSignedIn();
  const [{ data, fetching, error }, refetch] = useQuery({ query: StreamsQuery });
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);
  return (
    <section className="page" aria-labelledby="streams-title">
      <div className="toolbar">
        <h1 id="streams-title">Streams</h1>
        {can.administer(user.role) && (
          <Link to="/admin/streams/new" className="button-link">
            Add a stream
          </Link>
        )}
      </div>
      <QueryState
        fetching={fetching}
        error={error}
        data={data?.streams.edges.map((edge) => edge.node)}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        isEmpty={(nodes) => nodes.length === 0}
        empty="No streams yet."
      >
        {(streams) => (
          <table>
            <caption className="muted" style={{ textAlign: 'left' }}>
              Counters refresh every {REFRESH_MS / 1000} s
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">fps (effective)</th>
                <th scope="col">Frames kept / skipped</th>
                <th scope="col">Windows analysed / made</th>
                <th scope="col">Last frame</th>
              </tr>
            </thead>
            <tbody>
              {streams.map((stream) => (
                <tr key={stream.id}>
                  <td>
                    <Link to={`/streams/${stream.id}`}>{stream.name}</Link>{' '}
                    <span className="muted">{stream.kind.toLowerCase()}</span>
                  </td>
                  <td>
                    <StatusBadge status={stream.status} />
                    {stream.lastError && <div className="error-text">{stream.lastError}</div>}
                    {stream.analysisNotice && <div className="muted">{stream.analysisNotice}</div>}
                  </td>
                  <td>
                    {stream.fps} ({stream.effectiveFps ?? '—'})
                  </td>
                  <td>
                    {stream.framesKept} / {stream.framesSkipped}
                  </td>
                  <td>
                    {stream.windowsAnalysed} / {stream.windowsQueued}
                  </td>
                  <td>{formatTime(stream.lastFrameAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
