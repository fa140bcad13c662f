import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { QueryState } from '../../components/states';
import { DECIDED_EVENT } from '../../features/review/decision-panel';
import { ReviewItemView } from '../../features/review/review-item-view';
import { useReviewItem } from '../../features/review/use-review-item';

export function ReviewItemPage() {
  const { reviewItemId = '' } = useParams();
  const review = useReviewItem(reviewItemId);
  const { refresh } = review;
  // A decision sent after its undo window shows here as soon as it is recorded.
  useEffect(() => {
    const onDecided = (event: Event) => {
      if ((event as CustomEvent<string>).detail === reviewItemId) refresh();
    };
    window.addEventListener(DECIDED_EVENT, onDecided);
    return () => window.removeEventListener(DECIDED_EVENT, onDecided);
  }, [reviewItemId, refresh]);
  return (
    <section className="page" aria-labelledby="item-title">
      <p>
        <Link to="/queue">← Back to the queue</Link>
      </p>
      <QueryState fetching={review.fetching} error={review.error} data={review.item} retry={review.retry}>
        {(loaded) => <ReviewItemView key={loaded.id} item={loaded} refetch={review.refresh} />}
      </QueryState>
    </section>
  );
}
