import { Route } from 'react-router';
import { StreamPage } from './stream-page';
import { StreamsPage } from './streams-page';

/** Streams, for every role: moderators, admins and auditors all follow them. */
export function streamRoutes() {
  return [
    <Route key="streams" path="streams" element={<StreamsPage />} />,
    <Route key="stream" path="streams/:streamId" element={<StreamPage />} />,
  ];
}
