import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../api/errors';

/** The three states every data view has besides its content. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: CombinedError | Error; retry?: () => void }) {
  return (
    <div className="state error-text" role="alert">
      <p>Could not load: {describeError(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** Renders loading, error or empty states for a query, else the content. */
export function QueryState<T>({
  fetching,
  error,
  data,
  retry,
  isEmpty,
  empty,
  children,
}: {
  fetching: boolean;
  error?: CombinedError;
  data: T | undefined;
  retry?: () => void;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (error && !data) return <ErrorState error={error} retry={retry} />;
  if (!data) return fetching ? <Loading /> : null;
  if (isEmpty?.(data)) return <Empty>{empty ?? 'Nothing here yet.'}</Empty>;
  return <>{children(data)}</>;
}
