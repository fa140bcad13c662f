import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page here, or your role cannot open it. <Link to="/">Go to your start page</Link>.
      </p>
    </section>
  );
}
