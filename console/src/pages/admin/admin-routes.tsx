import type { ReactNode } from 'react';
import { Route } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn, type Role } from '../../auth/session';
import { NotFoundPage } from '../not-found-page';
import { lazyPage } from '../../components/lazy-page';

const ApiKeysPage = lazyPage(() => import('./api-keys-page'), 'ApiKeysPage');
const NodesPage = lazyPage(() => import('./nodes-page'), 'NodesPage');
const QueuesPage = lazyPage(() => import('./queues-page'), 'QueuesPage');
const RulePage = lazyPage(() => import('./rule-page'), 'RulePage');
const RulesPage = lazyPage(() => import('./rules-page'), 'RulesPage');
const StreamNewPage = lazyPage(() => import('./stream-new-page'), 'StreamNewPage');
const TemplatePage = lazyPage(() => import('./template-page'), 'TemplatePage');
const TemplatesPage = lazyPage(() => import('./templates-page'), 'TemplatesPage');
const UsersPage = lazyPage(() => import('./users-page'), 'UsersPage');
const WebhooksPage = lazyPage(() => import('./webhooks-page'), 'WebhooksPage');

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
