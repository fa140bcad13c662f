import { Route } from 'react-router';
import { can } from '../../auth/roles';
import type { Role } from '../../auth/session';
import { QueuePage } from './queue-page';
import { ReviewItemPage } from './review-item-page';

/** The queue and its items, for those who work them. */
export function reviewRoutes(role: Role) {
  if (!can.moderate(role)) return [];
  return [
    <Route key="queue" path="queue" element={<QueuePage />} />,
    <Route key="review" path="review/:reviewItemId" element={<ReviewItemPage />} />,
  ];
}
