import { DataTable } from '../../components/data-table';
import { Fact, Facts } from '../../components/facts';
import { formatTime } from '../../lib/format';
import type { Backtest } from './use-rules';

/** Which rule a backtest ran: the saved one or the editor's draft. */
export type BacktestTarget = 'saved' | 'draft';

/** What a backtest found: counts, then each firing with the window it fired on. */
export function BacktestResultView({
  backtest: result,
  target,
  streamName,
}: {
  backtest: Backtest;
  target: BacktestTarget;
  streamName: string;
}) {
  return (
    <>
      <p className="muted">
        {target === 'saved' ? 'The saved rule' : 'The draft'} on “{streamName}”:
      </p>
      <Facts>
        <Fact label="Results evaluated" testId="backtest-evaluated">
          {result.evaluated}
        </Fact>
        <Fact label="Firings">{result.firings.length}</Fact>
        <Fact label="Incidents" testId="backtest-incidents">
          {result.incidents}
        </Fact>
      </Facts>
      <DataTable
        rows={result.firings}
        rowKey={(firing) => firing.analysisId}
        caption="Firings, oldest first"
        scrollLabel="Firings"
        empty={
          result.evaluated === 0
            ? 'No stored results in this range: choose another stream or a wider range.'
            : 'The rule would not have fired on any of these results.'
        }
        columns={[
          { header: 'Window end', className: 'nowrap', cell: (firing) => formatTime(firing.endAt) },
          {
            header: 'Window',
            className: 'nowrap',
            cell: (firing) => (
              <code title={`window ${firing.windowId}, analysis ${firing.analysisId}`}>
                …{firing.windowId.slice(-8)}
              </code>
            ),
          },
          {
            header: 'Matched',
            cell: (firing) => (firing.matchedPaths.length ? firing.matchedPaths.join(', ') : '—'),
          },
          {
            header: 'Incident',
            cell: (firing) => (firing.opensIncident ? 'new incident' : 'joins previous'),
          },
        ]}
      />
    </>
  );
}
