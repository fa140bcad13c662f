import { ApiKeyManagement } from '../../features/api-keys/api-key-management';

export function ApiKeysPage() {
  return <ApiKeyManagement />;
}
