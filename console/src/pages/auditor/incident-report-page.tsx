import { useParams } from 'react-router';
import { ReportView } from '../../features/reports/report-view';
import { useIncidentReport } from '../../features/reports/use-report';

export function IncidentReportPage() {
  const { incidentId = '' } = useParams();
  const report = useIncidentReport(incidentId);
  return <ReportView kind="incidents" id={incidentId} {...report} />;
}
