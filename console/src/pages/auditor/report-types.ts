import type { AnalysisReport, IncidentReport, Report } from '../../../../src/reports/report-format';

/**
 * The chain-of-thought report as `incidentReport` / `analysisReport` return it (JSONObject), in the
 * shape the API builds (src/reports/report-format.ts, shared, types only). The GraphQL scalar is
 * untyped, so `asReport` checks the few keys the page relies on before trusting the rest.
 */
export type * from '../../../../src/reports/report-format';

/** The report, or null when the JSON is not a report this console knows how to show. */
export function asReport(value: unknown): Report | null {
  if (!value || typeof value !== 'object') return null;
  const candidate = value as Partial<Report>;
  if (typeof candidate.contentSha256 !== 'string') return null;
  if (candidate.kind === 'incident' && Array.isArray((candidate as IncidentReport).analyses))
    return candidate as IncidentReport;
  if (candidate.kind === 'analysis' && typeof (candidate as AnalysisReport).analysis === 'object')
    return candidate as AnalysisReport;
  return null;
}
