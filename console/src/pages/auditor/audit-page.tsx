import { AuditLog } from '../../features/audit/audit-log';

export function AuditPage() {
  return <AuditLog />;
}
