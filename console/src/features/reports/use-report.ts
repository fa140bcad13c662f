import { useMemo } from 'react';
import { useQuery } from 'urql';
import {
  analysisReportContent,
  AnalysisReportQuery,
  IncidentFrameUrlsQuery,
  incidentReportContent,
  IncidentReportQuery,
  WindowFrameUrlsQuery,
} from './reports.documents';

/** Frame id → signed image URL: the report carries only hashes, the images come from GraphQL. */
export type FrameUrls = ReadonlyMap<string, string>;

/** A page of an incident's report, with the image URLs of its windows' frames. */
export function useIncidentReport(incidentId: string, page: number) {
  const [report, refetch] = useQuery({ query: IncidentReportQuery, variables: { incidentId, page } });
  const [frames] = useQuery({ query: IncidentFrameUrlsQuery, variables: { incidentId } });
  const urls = useMemo<FrameUrls>(
    () =>
      new Map(
        (frames.data?.incident.evidence.edges ?? []).flatMap(({ node }) =>
          (node.window?.frames ?? []).map((frame) => [frame.id, frame.url] as const),
        ),
      ),
    [frames.data],
  );
  const content = useMemo(
    () => (report.data ? incidentReportContent(report.data.incidentReport) : undefined),
    [report.data],
  );
  return {
    report: content,
    fetching: report.fetching,
    error: report.error,
    retry: () => refetch({ requestPolicy: 'network-only' }),
    urls,
    urlsUnavailable: Boolean(frames.error),
  };
}

/** An analysis's report, with the image URLs of its window's frames. */
export function useAnalysisReport(analysisId: string) {
  const [report, refetch] = useQuery({ query: AnalysisReportQuery, variables: { analysisId } });
  const windowId = report.data?.analysisReport.analysis.window?.id ?? null;
  const [frames] = useQuery({
    query: WindowFrameUrlsQuery,
    variables: { windowId: windowId ?? '' },
    pause: !windowId,
  });
  const urls = useMemo<FrameUrls>(
    () => new Map((frames.data?.window.frames ?? []).map((frame) => [frame.id, frame.url] as const)),
    [frames.data],
  );
  const content = useMemo(
    () => (report.data ? analysisReportContent(report.data.analysisReport) : undefined),
    [report.data],
  );
  return {
    report: content,
    fetching: report.fetching,
    error: report.error,
    retry: () => refetch({ requestPolicy: 'network-only' }),
    urls,
    urlsUnavailable: Boolean(frames.error),
  };
}
