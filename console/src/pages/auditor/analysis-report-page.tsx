import { useParams } from 'react-router';
import { ReportView } from '../../features/reports/report-view';
import { useAnalysisReport } from '../../features/reports/use-report';

export function AnalysisReportPage() {
  const { analysisId = '' } = useParams();
  const report = useAnalysisReport(analysisId);
  return <ReportView kind="analyses" id={analysisId} {...report} />;
}
