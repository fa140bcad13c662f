import type { ReactNode } from 'react';
import { Route } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn, type Role } from '../../auth/session';
import { NotFoundPage } from '../not-found-page';
import { ApiKeysPage } from './api-keys-page';
import { NodesPage } from './nodes-page';
import { QueuesPage } from './queues-page';
import { RulePage } from './rule-page';
import { RulesPage } from './rules-page';
import { StreamNewPage } from './stream-new-page';
import { TemplatePage } from './template-page';
import { TemplatesPage } from './templates-page';
import { UsersPage } from './users-page';
import { WebhooksPage } from './webhooks-page';

/** GPU nodes are shared by every tenant: only platform admins see them (the server enforces it too). */
function PlatformAdminOnly({ children }: { children: ReactNode }) {
  const { user } = useSignedIn();
  return user.isPlatformAdmin ? <>{children}</> : <NotFoundPage />;
}

/** Admin screens, for the ADMIN role only; paths are relative to the app shell. */
export function adminRoutes(role: Role) {
  if (!can.administer(role)) return [];
  return [
    <Route key="admin-stream-new" path="admin/streams/new" element={<StreamNewPage />} />,
    <Route key="admin-templates" path="admin/templates" element={<TemplatesPage />} />,
    <Route key="admin-template" path="admin/templates/:templateId" element={<TemplatePage />} />,
    <Route key="admin-rules" path="admin/rules" element={<RulesPage />} />,
    <Route key="admin-rule-new" path="admin/rules/new" element={<RulePage key="new" />} />,
    <Route key="admin-rule" path="admin/rules/:ruleId" element={<RulePage />} />,
    <Route key="admin-queues" path="admin/queues" element={<QueuesPage />} />,
    <Route key="admin-users" path="admin/users" element={<UsersPage />} />,
    <Route key="admin-api-keys" path="admin/api-keys" element={<ApiKeysPage />} />,
    <Route key="admin-webhooks" path="admin/webhooks" element={<WebhooksPage />} />,
    <Route
      key="admin-nodes"
      path="admin/nodes"
      element={
        <PlatformAdminOnly>
          <NodesPage />
        </PlatformAdminOnly>
      }
    />,
  ];
}
