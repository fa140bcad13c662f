import { StatusBadge } from '../../components/badges';
import { Empty } from '../../components/states';
import { formatEnumValue, formatMilliseconds, formatTime } from '../../lib/format';
import { asResult } from '../analysis/analysis-result';
import type { StreamView } from './use-stream';

type StreamAnalysis = StreamView['analyses']['edges'][number]['node'];

/** The stream's latest analyses: when, how, the verdict and the latency. */
export function RecentAnalyses({ analyses }: { analyses: StreamAnalysis[] }) {
  if (analyses.length === 0) return <Empty>No analyses yet.</Empty>;
  return (
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
              <StatusBadge status={analysis.status} /> {formatEnumValue(analysis.mode)}
            </td>
            <td>{asResult(analysis.result)?.verdict ?? '—'}</td>
            <td>{formatMilliseconds(analysis.latencyMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
