import { Link } from 'react-router';
import { StreamForm } from '../../features/streams/stream-form';

export function StreamNewPage() {
  return (
    <section className="page admin-page" aria-labelledby="stream-new-title">
      <p>
        <Link to="/streams">← All streams</Link>
      </p>
      <h1 id="stream-new-title">Add a stream</h1>
      <StreamForm labelledBy="stream-new-title" />
    </section>
  );
}
