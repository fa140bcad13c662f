import { QueueSettings } from '../../features/queue-settings/queue-settings';

export function QueuesPage() {
  return <QueueSettings />;
}
