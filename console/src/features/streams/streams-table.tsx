import { Link } from 'react-router';
import type { ResultOf } from '../../api/graphql';
import { StatusBadge } from '../../components/badges';
import { DataTable } from '../../components/data-table';
import { formatEnumValue, formatTime } from '../../lib/format';
import type { StreamListQuery } from './streams.documents';
import { STREAMS_REFRESH_MS } from './use-streams';

type StreamRow = ResultOf<typeof StreamListQuery>['streams']['edges'][number]['node'];

/** Streams with their status, sampling rate and counters. */
export function StreamsTable({ streams }: { streams: StreamRow[] }) {
  return (
    <DataTable
      rows={streams}
      rowKey={(stream) => stream.id}
      caption={<>Counters refresh every {STREAMS_REFRESH_MS / 1000} s</>}
      columns={[
        {
          header: 'Name',
          cell: (stream) => (
            <>
              <Link to={`/streams/${stream.id}`}>{stream.name}</Link>{' '}
              <span className="muted">{formatEnumValue(stream.kind)}</span>
            </>
          ),
        },
        {
          header: 'Status',
          cell: (stream) => (
            <>
              <StatusBadge status={stream.status} />
              {stream.lastError && <div className="error-text">{stream.lastError}</div>}
              {stream.analysisNotice && <div className="muted">{stream.analysisNotice}</div>}
            </>
          ),
        },
        { header: 'fps (effective)', cell: (stream) => `${stream.fps} (${stream.effectiveFps ?? '—'})` },
        {
          header: 'Frames kept / skipped',
          cell: (stream) => `${stream.framesKept} / ${stream.framesSkipped}`,
        },
        {
          header: 'Windows analysed / made',
          cell: (stream) => `${stream.windowsAnalysed} / ${stream.windowsQueued}`,
        },
        { header: 'Last frame', cell: (stream) => formatTime(stream.lastFrameAt) },
      ]}
    />
  );
}
