import { StatusBadge } from '../../components/badges';
import { DataTable } from '../../components/data-table';
import { formatEnumValue, formatMilliseconds, formatTime } from '../../lib/format';
import { asResult } from '../analysis/analysis-result';
import type { StreamView } from './use-stream';

type StreamAnalysis = StreamView['analyses']['edges'][number]['node'];

/** The stream's latest analyses: when, how, the verdict and the latency. */
export function RecentAnalyses({ analyses }: { analyses: StreamAnalysis[] }) {
  return (
    <DataTable
      rows={analyses}
      rowKey={(analysis) => analysis.id}
      empty="No analyses yet."
      columns={[
        { header: 'Finished', cell: (analysis) => formatTime(analysis.completedAt ?? analysis.startedAt) },
        {
          header: 'Status',
          cell: (analysis) => (
            <>
              <StatusBadge status={analysis.status} /> {formatEnumValue(analysis.mode)}
            </>
          ),
        },
        { header: 'Verdict', cell: (analysis) => asResult(analysis.result)?.verdict ?? '—' },
        { header: 'Latency', cell: (analysis) => formatMilliseconds(analysis.latencyMs) },
      ]}
    />
  );
}
