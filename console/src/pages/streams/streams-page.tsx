import { Link } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { QueryState } from '../../components/states';
import { StreamsTable } from '../../features/streams/streams-table';
import { useStreams } from '../../features/streams/use-streams';

export function StreamsPage() {
  const { user } = useSignedIn();
  const { streams, fetching, error, refresh } = useStreams();
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
        data={streams}
        retry={refresh}
        isEmpty={(nodes) => nodes.length === 0}
        empty="No streams yet."
      >
        {(list) => <StreamsTable streams={list} />}
      </QueryState>
    </section>
  );
}
