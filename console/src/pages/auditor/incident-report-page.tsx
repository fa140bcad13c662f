import { useParams, useSearchParams } from 'react-router';
import { ReportView } from '../../features/reports/report-view';
import { useIncidentReport } from '../../features/reports/use-report';

/** An incident's report; `?page=N` picks the page of its evidence appendix. */
export function IncidentReportPage() {
  const { incidentId = '' } = useParams();
  const [search] = useSearchParams();
  const requested = Number(search.get('page') ?? '1');
  const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
  const report = useIncidentReport(incidentId, page);
  return <ReportView kind="incidents" id={incidentId} page={page} {...report} />;
}
