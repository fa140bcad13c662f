import { Link } from 'react-router';
import type { ResultOf } from '../../api/graphql';
import { StatusBadge } from '../../components/badges';
import { formatEnumValue, formatTime } from '../../lib/format';
import type { StreamListQuery } from './streams.documents';
import { STREAMS_REFRESH_MS } from './use-streams';

type StreamRow = ResultOf<typeof StreamListQuery>['streams']['edges'][number]['node'];

/** Streams with their status, sampling rate and counters. */
export function StreamsTable({ streams }: { streams: StreamRow[] }) {
  return (
    <table>
      <caption className="muted" style={{ textAlign: 'left' }}>
        Counters refresh every {STREAMS_REFRESH_MS / 1000} s
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
              <span className="muted">{formatEnumValue(stream.kind)}</span>
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
  );
}
