import { WebhookManagement } from '../../features/webhooks/webhook-management';

export function WebhooksPage() {
  return <WebhookManagement />;
}
