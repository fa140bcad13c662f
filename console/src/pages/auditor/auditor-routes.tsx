import { Route } from 'react-router';
import { can } from '../../auth/roles';
import type { Role } from '../../auth/session';
import { lazyPage } from '../../components/lazy-page';

const AuditPage = lazyPage(() => import('./audit-page'), 'AuditPage');
const IncidentsPage = lazyPage(() => import('./incidents-page'), 'IncidentsPage');
const IncidentReportPage = lazyPage(() => import('./incident-report-page'), 'IncidentReportPage');
const AnalysisReportPage = lazyPage(() => import('./analysis-report-page'), 'AnalysisReportPage');

/**
 * Auditor screens, for auditors and admins: incidents and their chain-of-thought reports, and the
 * audit log with its chain check. They read only; the server refuses any change from an auditor.
 */
export function auditorRoutes(role: Role) {
  if (!can.audit(role)) return [];
  return [
    <Route key="incidents" path="incidents" element={<IncidentsPage />} />,
    <Route key="incident-report" path="incidents/:incidentId/report" element={<IncidentReportPage />} />,
    <Route key="analysis-report" path="analyses/:analysisId/report" element={<AnalysisReportPage />} />,
    <Route key="audit" path="audit" element={<AuditPage />} />,
  ];
}
