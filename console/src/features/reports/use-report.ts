import { useEffect, useMemo, useState } from 'react';
import { useClient, useQuery, type OperationResult } from 'urql';
import type { ResultOf } from '../../api/graphql';
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

/** Evidence pages (of 100 firings) read at most to find a report page's frames. */
const MAX_EVIDENCE_PAGES = 30;

/**
 * The signed URLs of the incident's keyframes and of the given frames: the evidence is read 100
 * firings at a time, from the first, until every frame has its URL (a later page of the report
 * needs later firings) or the evidence ends.
 */
function useIncidentFrameUrls(incidentId: string, frameIds: readonly string[]) {
  const client = useClient();
  const [state, setState] = useState<{ urls: FrameUrls; failed: boolean }>({
    urls: new Map(),
    failed: false,
  });
  const wanted = frameIds.join(',');
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const urls = new Map<string, string>();
      const missing = new Set(wanted ? wanted.split(',') : []);
      let after: string | null = null;
      for (let page = 0; page < MAX_EVIDENCE_PAGES; page++) {
        const result: OperationResult<ResultOf<typeof IncidentFrameUrlsQuery>> = await client
          .query(IncidentFrameUrlsQuery, { incidentId, after })
          .toPromise();
        if (cancelled) return;
        if (!result.data) {
          setState({ urls, failed: true });
          return;
        }
        const { keyframes, evidence } = result.data.incident;
        for (const frame of [
          ...keyframes,
          ...evidence.edges.flatMap(({ node }) => node.window?.frames ?? []),
        ]) {
          urls.set(frame.id, frame.url);
          missing.delete(frame.id);
        }
        // Shown as they come: the first page of the evidence is usually all a report page needs.
        setState({ urls: new Map(urls), failed: false });
        if (missing.size === 0 || !evidence.pageInfo.hasNextPage) return;
        after = evidence.pageInfo.endCursor;
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, incidentId, wanted]);
  return state;
}

/** A page of an incident's report, with the image URLs of its keyframes and of its analyses' frames. */
export function useIncidentReport(incidentId: string, page: number) {
  const [report, refetch] = useQuery({ query: IncidentReportQuery, variables: { incidentId, page } });
  const frameIds = useMemo(
    () =>
      (report.data?.incidentReport.analyses ?? []).flatMap((analysis) =>
        analysis.frames.map((frame) => frame.id),
      ),
    [report.data],
  );
  const frames = useIncidentFrameUrls(incidentId, frameIds);
  const content = useMemo(
    () => (report.data ? incidentReportContent(report.data.incidentReport) : undefined),
    [report.data],
  );
  return {
    report: content,
    fetching: report.fetching,
    error: report.error,
    retry: () => refetch({ requestPolicy: 'network-only' }),
    urls: frames.urls,
    urlsUnavailable: frames.failed,
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
