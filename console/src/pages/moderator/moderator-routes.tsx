import { Route } from 'react-router';
import type { Role } from '../../auth/session';
import { can } from '../../auth/roles';
import { QueuePage } from './queue-page';
import { ReviewItemPage } from './review-item-page';
import { StreamPage } from './stream-page';
import { StreamsPage } from './streams-page';

/** Streams are for every role; the queue and items only for those who work them. */
export function moderatorRoutes(role: Role) {
  return [
    <Route key="streams" path="streams" element={<StreamsPage />} />,
    <Route key="stream" path="streams/:streamId" element={<StreamPage />} />,
    ...(can.moderate(role)
      ? [
          <Route key="queue" path="queue" element={<QueuePage />} />,
          <Route key="review" path="review/:reviewItemId" element={<ReviewItemPage />} />,
        ]
      : []),
  ];
}
