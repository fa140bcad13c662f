import { Link, useParams } from 'react-router';
import { QueryState } from '../../components/states';
import { ReviewItemView } from '../../features/review/review-item-view';
import { useReviewItem } from '../../features/review/use-review-item';

export function ReviewItemPage() {
  const { reviewItemId = '' } = useParams();
  const review = useReviewItem(reviewItemId);
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
