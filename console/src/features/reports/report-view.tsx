import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Fact, Facts } from '../../components/facts';
import { Time } from '../../components/formatted';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatEnumValue } from '../../lib/format';
import { EvidencePackageButton } from '../evidence/evidence-package-button';
import { IncidentClipPlayer } from '../evidence/incident-clip-player';
import { ReportAnalysisSection } from './report-analysis-section';
import { ReportIncidentSection } from './report-incident-section';
import type { ReportAnalysesPage, ReportContent } from './reports.documents';
import { useOpenDetailsWhenPrinting } from './use-open-details-when-printing';
import type { FrameUrls } from './use-report';
import { useReportDownload, type ReportKind } from './use-report-download';

export function ReportView({
  kind,
  id,
  page = null,
  fetching,
  error,
  report,
  retry,
  urls,
  urlsUnavailable,
}: {
  kind: ReportKind;
  id: string;
  /** The page of an incident report's analyses shown (and exported). */
  page?: number | null;
  fetching: boolean;
  error: Parameters<typeof ErrorState>[0]['error'] | undefined;
  report: ReportContent | undefined;
  retry: () => void;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const { download, busy } = useReportDownload(kind, id, page);
  useOpenDetailsWhenPrinting();
  // The report names itself: a chain-of-thought report only where a model reasoned.
  const title = report?.title ?? (kind === 'incidents' ? 'Incident report' : 'Analysis report');

  let body: ReactNode;
  if (error && !report) body = <ErrorState error={error} retry={retry} />;
  else if (!report) body = fetching ? <Loading label="Building the report" /> : null;
  else body = <ReportBody report={report} urls={urls} urlsUnavailable={urlsUnavailable} />;

  return (
    <section className="page report" aria-labelledby="report-title">
      <p className="no-print">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <div className="toolbar">
        <h1 id="report-title">{title}</h1>
        <span className="muted mono">{id}</span>
        <div className="toolbar no-print report-exports">
          <button
            type="button"
            className="primary"
            onClick={() => void download('pdf')}
            disabled={busy !== null}
            aria-busy={busy === 'pdf'}
          >
            {busy === 'pdf' ? 'Exporting PDF…' : 'Export PDF'}
          </button>
          <button
            type="button"
            onClick={() => void download('json')}
            disabled={busy !== null}
            aria-busy={busy === 'json'}
          >
            {busy === 'json' ? 'Exporting JSON…' : 'Export JSON'}
          </button>
          {kind === 'incidents' && <EvidencePackageButton incidentId={id} />}
        </div>
      </div>
      {kind === 'incidents' && <IncidentClipPlayer incidentId={id} />}
      {body}
    </section>
  );
}

function ReportBody({
  report,
  urls,
  urlsUnavailable,
}: {
  report: ReportContent;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const { analyses, contexts } = report;
  return (
    <>
      <div className="card">
        <h2>About this report</h2>
        <Facts>
          <Fact label="Stream">
            {report.stream ? (
              <>
                <Link to={`/streams/${report.stream.id}`}>{report.stream.name}</Link>{' '}
                <span className="muted">
                  {formatEnumValue(report.stream.kind)} ·{' '}
                  <span className="mono">{report.stream.sourceUrl}</span>
                </span>
              </>
            ) : (
              <span className="muted">deleted</span>
            )}
          </Fact>
          <Fact label="Tenant">
            {report.tenant.name} <span className="muted">({report.tenant.slug})</span>
          </Fact>
          <Fact label="Generated">
            <Time iso={report.generatedAt} /> <span className="muted">({report.format})</span>
          </Fact>
          <Fact label="Analyses">
            {report.analysisCounts.total}{' '}
            <span className="muted">
              ({report.analysisCounts.model} by a model, {report.analysisCounts.local} local)
            </span>
          </Fact>
          <Fact label="Content sha256">
            <code className="hash" data-testid="report-content-sha256">
              {report.contentSha256}
            </code>
            <div className="muted">
              The same hash is in the exported PDF and JSON of this report, whichever page: sha256 over the
              canonical JSON (RFC 8785) of the whole report (every page's analyses) without contentSha256,
              generatedAt and analysesPage.
            </div>
          </Fact>
        </Facts>
      </div>

      {report.kind === 'analysis' && contexts.length === 0 && (
        <div className="card">
          <h2>Incidents</h2>
          <Empty>This analysis fired no rule: no incident, no decision.</Empty>
        </div>
      )}
      {contexts.map((context) => (
        <ReportIncidentSection
          key={context.incident.id}
          context={context}
          linkToReport={report.kind === 'analysis'}
          urls={urls}
        />
      ))}

      {report.analysesPage && report.analysesPage.total > 0 && <EvidencePager page={report.analysesPage} />}
      {analyses.map((analysis, index) => (
        <ReportAnalysisSection
          key={analysis.id}
          analysis={analysis}
          position={
            report.analysesPage
              ? report.analysesPage.total > 1
                ? `${report.analysesPage.first + index} of ${report.analysesPage.total}`
                : null
              : null
          }
          linkToReport={report.kind === 'incident'}
          urls={urls}
          urlsUnavailable={urlsUnavailable}
        />
      ))}
      {analyses.length === 0 && (
        <div className="card">
          <h2>Analyses</h2>
          <Empty>No analyses are stored for this incident.</Empty>
        </div>
      )}
      {report.analysesPage && report.analysesPage.pages > 1 && <EvidencePager page={report.analysesPage} />}
    </>
  );
}

/** Where this page of the evidence appendix sits, and the way to the pages before and after it. */
function EvidencePager({ page }: { page: ReportAnalysesPage }) {
  const [, setSearch] = useSearchParams();
  const go = (to: number) => {
    setSearch(to === 1 ? {} : { page: String(to) });
    window.scrollTo({ top: 0 });
  };
  return (
    <nav className="card toolbar report-pager no-print" aria-label="Evidence pages">
      <strong>
        Evidence: analyses {page.first}–{page.last} of {page.total}
      </strong>
      <span className="muted">
        page {page.page} of {page.pages}; the exports hold this page
      </span>
      <button type="button" onClick={() => go(page.page - 1)} disabled={page.page <= 1}>
        ← Previous analyses
      </button>
      <button type="button" onClick={() => page.nextPage && go(page.nextPage)} disabled={!page.nextPage}>
        Next analyses →
      </button>
    </nav>
  );
}
