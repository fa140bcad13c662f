import { PolicyReasonSettings } from '../../features/policy-reasons/policy-reason-settings';
import { QueueSettings } from '../../features/queue-settings/queue-settings';

/** Review settings: queues' service levels and the policy reasons decisions give. */
export function QueuesPage() {
  return (
    <>
      <QueueSettings />
      <PolicyReasonSettings />
    </>
  );
}
