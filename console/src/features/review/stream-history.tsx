import { Link } from 'react-router';
import { useQuery } from 'urql';
import { SeverityBadge } from '../../components/badges';
import { formatEnumValue, formatTime } from '../../lib/format';
import { StreamHistoryQuery } from './review.documents';

/** The stream's latest items beside the one at work: what happened there, and how others decided. */
export function StreamHistory({
  streamId,
  streamName,
  currentId,
}: {
  streamId: string;
  streamName: string;
  currentId: string;
}) {
  const [{ data, fetching }] = useQuery({ query: StreamHistoryQuery, variables: { streamId } });
  const items = (data?.reviewItems.edges ?? [])
    .map((edge) => edge.node)
    .filter((item) => item.id !== currentId);
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Lately on {streamName}</h2>
      {items.length === 0 ? (
        <p className="muted small">{fetching ? 'Loading…' : 'Nothing else on this stream yet.'}</p>
      ) : (
        <ul className="history-list">
          {items.map((item) => (
            <li key={item.id}>
              <Link to={`/review/${item.id}`}>{item.summary || 'Incident'}</Link>{' '}
              <SeverityBadge severity={item.severity} />
              <span className="muted small">
                {' '}
                {formatTime(item.createdAt)} ·{' '}
                {item.decision
                  ? `${formatEnumValue(item.decision)}${item.reason ? `: ${item.reason}` : ''}`
                  : formatEnumValue(item.status)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
