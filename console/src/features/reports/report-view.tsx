import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { Empty, ErrorState, Loading } from '../../components/states';
import {
  type ReportAnalysis,
  type ReportAuditEntry,
  type ReportContent,
  type ReportIncidentContext,
  type ReportReviewItem,
  type ReportRule,
} from './reports.documents';
import type { FrameUrls } from './use-report';
import {
  formatClock,
  formatEnumValue,
  formatMilliseconds,
  formatPercent,
  formatSeconds,
} from '../../lib/format';
import { HashPrefix, JsonBlock, Time } from '../../components/formatted';
import { useReportDownload, type ReportKind } from './use-report-download';

/** Closed <details> do not print; a printed report shows the prompt in full. */
function useOpenDetailsWhenPrinting() {
  useEffect(() => {
    const opened: HTMLDetailsElement[] = [];
    const before = () => {
      document.querySelectorAll<HTMLDetailsElement>('.report details:not([open])').forEach((details) => {
        details.open = true;
        opened.push(details);
      });
    };
    const after = () => {
      opened.splice(0).forEach((details) => (details.open = false));
    };
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
    };
  }, []);
}

export function ReportView({
  kind,
  id,
  fetching,
  error,
  report,
  retry,
  urls,
  urlsUnavailable,
}: {
  kind: ReportKind;
  id: string;
  fetching: boolean;
  error: Parameters<typeof ErrorState>[0]['error'] | undefined;
  report: ReportContent | undefined;
  retry: () => void;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const { download, busy } = useReportDownload(kind, id);
  useOpenDetailsWhenPrinting();
  const title = kind === 'incidents' ? 'Incident report' : 'Analysis report';

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
        </div>
      </div>
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
        <dl className="facts">
          <dt>Stream</dt>
          <dd>
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
          </dd>
          <dt>Tenant</dt>
          <dd>
            {report.tenant.name} <span className="muted">({report.tenant.slug})</span>
          </dd>
          <dt>Generated</dt>
          <dd>
            <Time iso={report.generatedAt} /> <span className="muted">({report.format})</span>
          </dd>
          <dt>Content sha256</dt>
          <dd>
            <code className="hash">{report.contentSha256}</code>
            <div className="muted">
              sha256 over the canonical JSON (RFC 8785) of the report without this field; it matches the
              exported JSON.
            </div>
          </dd>
        </dl>
      </div>

      {report.kind === 'analysis' && contexts.length === 0 && (
        <div className="card">
          <h2>Incidents</h2>
          <Empty>This analysis fired no rule: no incident, no decision.</Empty>
        </div>
      )}
      {contexts.map((context) => (
        <IncidentSection
          key={context.incident.id}
          context={context}
          linkToReport={report.kind === 'analysis'}
        />
      ))}

      {analyses.map((analysis, index) => (
        <AnalysisSection
          key={analysis.id}
          analysis={analysis}
          position={analyses.length > 1 ? `${index + 1} of ${analyses.length}` : null}
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
    </>
  );
}

function IncidentSection({
  context,
  linkToReport,
}: {
  context: ReportIncidentContext;
  linkToReport: boolean;
}) {
  const { incident } = context;
  const headingId = `incident-${incident.id}`;
  return (
    <section className="report-incident" aria-labelledby={headingId}>
      <div className="card report-section">
        <h2 id={headingId}>Incident: {incident.summary}</h2>
        <dl className="facts">
          <dt>Severity</dt>
          <dd>
            <SeverityBadge severity={incident.severity} />
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={incident.status} />
          </dd>
          <dt>Confidence</dt>
          <dd>{formatPercent(incident.confidence)}</dd>
          <dt>From – to</dt>
          <dd>
            <Time iso={incident.startAt} /> – <Time iso={incident.endAt} />
          </dd>
          <dt>Firings</dt>
          <dd>{incident.firings}</dd>
          <dt>Recorded</dt>
          <dd>
            <Time iso={incident.createdAt} />
          </dd>
          <dt>Incident id</dt>
          <dd>
            <span className="mono">{incident.id}</span>
            {linkToReport && (
              <>
                {' '}
                <Link className="no-print" to={`/incidents/${incident.id}/report`}>
                  Incident report
                </Link>
              </>
            )}
          </dd>
        </dl>
      </div>
      <RuleSection rule={context.rule} />
      <DecisionSection item={context.reviewItem} />
      <AuditEntries
        entries={context.auditEvents}
        incidentId={incident.id}
        reviewItemId={context.reviewItem?.id}
      />
    </section>
  );
}

function RuleSection({ rule }: { rule: ReportRule | null }) {
  return (
    <div className="card report-section">
      <h2>Rule{rule ? `: ${rule.name}` : ''}</h2>
      {!rule ? (
        <Empty>The rule has since been deleted.</Empty>
      ) : (
        <>
          <dl className="facts">
            <dt>Enabled</dt>
            <dd>{rule.enabled ? 'yes' : 'no'}</dd>
            <dt>Priority</dt>
            <dd>{rule.priority}</dd>
            <dt>Cooldown</dt>
            <dd>{formatSeconds(rule.cooldownSeconds)}</dd>
            <dt>Last changed</dt>
            <dd>
              <Time iso={rule.updatedAt} />
            </dd>
            <dt>Rule id</dt>
            <dd className="mono">{rule.id}</dd>
          </dl>
          <h3>Condition</h3>
          <JsonBlock value={rule.condition} />
          <h3>Action</h3>
          <JsonBlock value={rule.action} />
        </>
      )}
    </div>
  );
}

function DecisionSection({ item }: { item: ReportReviewItem | null }) {
  return (
    <div className="card report-section">
      <h2>Human decision</h2>
      {!item ? (
        <Empty>No review item was opened for this incident.</Empty>
      ) : (
        <dl className="facts">
          <dt>Decision</dt>
          <dd>
            <strong>{item.decision ? formatEnumValue(item.decision) : 'not decided yet'}</strong>
          </dd>
          <dt>Reason</dt>
          <dd>{item.reason || '—'}</dd>
          <dt>Notes</dt>
          <dd className="prewrap">{item.notes || '—'}</dd>
          <dt>Decided at</dt>
          <dd>
            <Time iso={item.decidedAt} />
          </dd>
          <dt>Decided by</dt>
          <dd>
            <UserName user={item.decidedBy} />
          </dd>
          <dt>Review status</dt>
          <dd>
            <StatusBadge status={item.status} /> <span className="muted">queue {item.queue}</span>
          </dd>
          <dt>Assignee</dt>
          <dd>
            <UserName user={item.assignee} />
          </dd>
          {item.escalatedAt && (
            <>
              <dt>Escalated at</dt>
              <dd>
                <Time iso={item.escalatedAt} />
              </dd>
            </>
          )}
          <dt>Opened</dt>
          <dd>
            <Time iso={item.createdAt} />
          </dd>
          <dt>Review item id</dt>
          <dd className="mono">{item.id}</dd>
        </dl>
      )}
    </div>
  );
}

function AuditEntries({
  entries,
  incidentId,
  reviewItemId,
}: {
  entries: ReportAuditEntry[];
  incidentId: string;
  reviewItemId: string | undefined;
}) {
  return (
    <div className="card report-section">
      <h2>Audit trail</h2>
      <p className="muted no-print">
        In the audit log:{' '}
        <Link to={`/audit?entityType=Incident&entityId=${incidentId}`}>events of this incident</Link>
        {reviewItemId && (
          <>
            {' · '}
            <Link to={`/audit?entityType=ReviewItem&entityId=${reviewItemId}`}>
              events of its review item
            </Link>
          </>
        )}
      </p>
      {entries.length === 0 ? (
        <Empty>No audit events about this incident or its review item.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Entity</th>
              <th scope="col">Chain index</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <Time iso={entry.createdAt} />
                </td>
                <td>
                  {entry.actor.type}{' '}
                  <span className="mono">
                    {entry.actor.email ?? entry.actor.apiKeyName ?? entry.actor.id ?? '—'}
                  </span>
                </td>
                <td>{entry.action}</td>
                <td>{entry.entityType}</td>
                <td>{entry.chainIndex ?? '—'}</td>
                <td>
                  <HashPrefix hash={entry.hash} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function AnalysisSection({
  analysis,
  position,
  linkToReport,
  urls,
  urlsUnavailable,
}: {
  analysis: ReportAnalysis;
  position: string | null;
  linkToReport: boolean;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const headingId = `analysis-${analysis.id}`;
  const version = analysis.promptVersion;
  const sampling = analysis.sampling;
  return (
    <section className="card report-section" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Analysis{position ? ` ${position}` : ''} <span className="muted mono analysis-id">{analysis.id}</span>
      </h2>
      {linkToReport && (
        <p className="no-print">
          <Link to={`/analyses/${analysis.id}/report`}>Report of this analysis alone</Link>
        </p>
      )}
      <div className="report-columns">
        <div>
          <h3>Model and run</h3>
          <dl className="facts">
            <dt>Model</dt>
            <dd className="mono">{analysis.model ?? version?.modelName ?? '—'}</dd>
            <dt>Node</dt>
            <dd className="mono">{analysis.nodeName ?? 'local (no GPU node)'}</dd>
            <dt>Mode</dt>
            <dd>{formatEnumValue(analysis.mode)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={analysis.status} />
              {analysis.error && <div className="error-text">{analysis.error}</div>}
            </dd>
            <dt>Finish reason</dt>
            <dd>{analysis.finishReason ?? '—'}</dd>
            <dt>Attempts</dt>
            <dd>{analysis.attempts}</dd>
            <dt>Started</dt>
            <dd>
              <Time iso={analysis.startedAt} />
            </dd>
            <dt>Completed</dt>
            <dd>
              <Time iso={analysis.completedAt} />
            </dd>
            <dt>Latency</dt>
            <dd>{formatMilliseconds(analysis.latencyMs)}</dd>
            {analysis.window && (
              <>
                <dt>Window</dt>
                <dd>
                  #{analysis.window.index}: <Time iso={analysis.window.startAt} /> –{' '}
                  <Time iso={analysis.window.endAt} />
                </dd>
              </>
            )}
          </dl>
        </div>
        <div>
          <h3>Sampling settings</h3>
          {sampling ? (
            <dl className="facts">
              <dt>Temperature</dt>
              <dd>{sampling.temperature}</dd>
              <dt>Top p</dt>
              <dd>{sampling.topP}</dd>
              <dt>Top k</dt>
              <dd>{sampling.topK}</dd>
              <dt>Presence penalty</dt>
              <dd>{sampling.presencePenalty}</dd>
              <dt>Max completion tokens</dt>
              <dd>{sampling.maxCompletionTokens}</dd>
              <dt>Thinking budget</dt>
              <dd>{sampling.thinkingTokenBudget} tokens</dd>
            </dl>
          ) : (
            <p className="muted">The prompt template version is no longer stored.</p>
          )}
          <h3>Tokens</h3>
          <dl className="facts">
            <dt>Prompt</dt>
            <dd>{analysis.tokens.prompt}</dd>
            <dt>Completion</dt>
            <dd>
              {analysis.tokens.completion}{' '}
              <span className="muted">(of which reasoning {analysis.tokens.reasoning})</span>
            </dd>
            <dt>Vision</dt>
            <dd>{analysis.tokens.vision}</dd>
            <dt>Frames sent</dt>
            <dd>{analysis.framesSent}</dd>
          </dl>
        </div>
      </div>

      <h3>Frames</h3>
      {urlsUnavailable && (
        <p className="muted">The frame images could not be loaded; their hashes below are from the report.</p>
      )}
      {analysis.frames.length === 0 ? (
        <Empty>No frames of this window are stored.</Empty>
      ) : (
        <ul className="report-frames" aria-label={`Frames of analysis ${analysis.id}`}>
          {analysis.frames.map((frame) => {
            const url = urls.get(frame.id);
            return (
              <li key={frame.id}>
                <figure>
                  {url ? (
                    <img
                      src={url}
                      width={frame.width}
                      height={frame.height}
                      alt={`Frame ${frame.sequence}, captured ${formatClock(frame.capturedAt)}`}
                    />
                  ) : (
                    <div
                      className="frame-missing"
                      role="img"
                      aria-label={`Frame ${frame.sequence}: no image`}
                    >
                      no image
                    </div>
                  )}
                  <figcaption>
                    <span>
                      #{frame.sequence} ·{' '}
                      <time dateTime={frame.capturedAt} title={frame.capturedAt}>
                        {formatClock(frame.capturedAt)}
                      </time>{' '}
                      · {frame.width}×{frame.height}
                    </span>
                    {frame.skippedBefore > 0 && (
                      <span className="muted">{frame.skippedBefore} near-duplicates skipped before</span>
                    )}
                    <span>
                      <span className="muted">sha256 </span>
                      <code className="hash">{frame.sha256}</code>
                    </span>
                  </figcaption>
                </figure>
              </li>
            );
          })}
        </ul>
      )}
      {analysis.missingFrameIds.length > 0 && (
        <p className="muted">
          {analysis.missingFrameIds.length} frame(s) of this window are no longer stored (retention):{' '}
          <span className="mono">{analysis.missingFrameIds.join(', ')}</span>
        </p>
      )}

      <h3>Prompt template</h3>
      {version ? (
        <details>
          <summary>
            {version.templateName ?? 'Template'} version {version.version}{' '}
            <span className="muted">
              ({version.modelName}, {formatEnumValue(version.mode)}; version id{' '}
              <span className="mono">{version.id}</span>)
            </span>
          </summary>
          <h4>System text</h4>
          <pre className="code-block">{version.systemText}</pre>
          <h4>Instruction text</h4>
          <pre className="code-block">{version.instructionText}</pre>
          <h4>Result schema</h4>
          <JsonBlock value={version.resultSchema} />
        </details>
      ) : (
        <p className="muted">The prompt template version is no longer stored.</p>
      )}

      <h3>Reasoning</h3>
      {analysis.reasoning ? (
        <pre className="code-block report-reasoning">{analysis.reasoning}</pre>
      ) : (
        <p className="muted">
          No reasoning recorded{analysis.mode === 'LOCAL' ? ' (local detector analyses do not reason)' : ''}.
        </p>
      )}

      <h3>Structured result</h3>
      {analysis.result === null || analysis.result === undefined ? (
        <p className="muted">No result (the analysis did not finish).</p>
      ) : (
        <JsonBlock value={analysis.result} />
      )}
    </section>
  );
}

function UserName({ user }: { user: { id: string; email: string | null } | null }) {
  if (!user) return <span className="muted">—</span>;
  return user.email ? (
    <span>{user.email}</span>
  ) : (
    <span className="muted">
      deleted user <span className="mono">{user.id}</span>
    </span>
  );
}
