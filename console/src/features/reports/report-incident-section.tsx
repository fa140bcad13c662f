import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { Fact, Facts } from '../../components/facts';
import { JsonBlock, Time } from '../../components/formatted';
import { Empty } from '../../components/states';
import { formatEnumValue, formatPercent, formatSeconds } from '../../lib/format';
import { ReportAuditTrail } from './report-audit-trail';
import { ReportFrameGrid } from './report-frames';
import type { ReportIncidentContext, ReportReviewItem, ReportRule } from './reports.documents';
import type { FrameUrls } from './use-report';

/**
 * An incident in a report: its summary first (what, which rule, the decision, when, how often,
 * its keyframes), then the rule that fired, the human decision and the audit trail.
 */
export function ReportIncidentSection({
  context,
  linkToReport,
  urls,
}: {
  context: ReportIncidentContext;
  linkToReport: boolean;
  urls: FrameUrls;
}) {
  const { incident, rule, reviewItem } = context;
  const headingId = `incident-${incident.id}`;
  return (
    <section className="report-incident" aria-labelledby={headingId}>
      <div className="card report-section">
        <h2 id={headingId}>Incident: {incident.summary}</h2>
        <Facts>
          <Fact label="Rule">{rule ? rule.name : <span className="muted">deleted</span>}</Fact>
          <Fact label="Decision">
            {!reviewItem ? (
              <span className="muted">no review item</span>
            ) : reviewItem.decision ? (
              <>
                <strong>{formatEnumValue(reviewItem.decision)}</strong>
                {reviewItem.decidedBy && (
                  <>
                    {' '}
                    by <UserName user={reviewItem.decidedBy} />
                  </>
                )}
                {reviewItem.reason && <span className="muted"> — {reviewItem.reason}</span>}
              </>
            ) : (
              'not decided yet'
            )}
          </Fact>
          <Fact label="Severity">
            <SeverityBadge severity={incident.severity} />
          </Fact>
          <Fact label="Status">
            <StatusBadge status={incident.status} />
          </Fact>
          <Fact label="Confidence">{formatPercent(incident.confidence)}</Fact>
          <Fact label="From – to">
            <Time iso={incident.startAt} /> – <Time iso={incident.endAt} />
          </Fact>
          <Fact label="Firings">{incident.firings}</Fact>
          {incident.closedAt && (
            <Fact label="Closed">
              <Time iso={incident.closedAt} />{' '}
              <span className="muted">({incident.closeReason ?? 'no reason recorded'})</span>
            </Fact>
          )}
          <Fact label="Recorded">
            <Time iso={incident.createdAt} />
          </Fact>
          <Fact label="Incident id">
            <span className="mono">{incident.id}</span>
            {linkToReport && (
              <>
                {' '}
                <Link className="no-print" to={`/incidents/${incident.id}/report`}>
                  Incident report
                </Link>
              </>
            )}
          </Fact>
        </Facts>
        <h3>Keyframes</h3>
        {incident.keyframes.length === 0 ? (
          <Empty>No keyframes of this incident are stored.</Empty>
        ) : (
          <ReportFrameGrid
            frames={incident.keyframes}
            label={`Keyframes of incident ${incident.id}`}
            urls={urls}
          />
        )}
      </div>
      <RuleSection rule={context.rule} />
      <DecisionSection item={context.reviewItem} />
      <ReportAuditTrail
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
          <Facts>
            <Fact label="Enabled">{rule.enabled ? 'yes' : 'no'}</Fact>
            <Fact label="Priority">{rule.priority}</Fact>
            <Fact label="Cooldown">{formatSeconds(rule.cooldownSeconds)}</Fact>
            <Fact label="Last changed">
              <Time iso={rule.updatedAt} />
            </Fact>
            <Fact label="Rule id" className="mono">
              {rule.id}
            </Fact>
          </Facts>
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
        <Facts>
          <Fact label="Decision">
            <strong>{item.decision ? formatEnumValue(item.decision) : 'not decided yet'}</strong>
          </Fact>
          <Fact label="Reason">{item.reason || '—'}</Fact>
          <Fact label="Notes" className="prewrap">
            {item.notes || '—'}
          </Fact>
          <Fact label="Decided at">
            <Time iso={item.decidedAt} />
          </Fact>
          <Fact label="Decided by">
            <UserName user={item.decidedBy} />
          </Fact>
          <Fact label="Review status">
            <StatusBadge status={item.status} /> <span className="muted">queue {item.queue}</span>
          </Fact>
          <Fact label="Assignee">
            <UserName user={item.assignee} />
          </Fact>
          {item.escalatedAt && (
            <Fact label="Escalated at">
              <Time iso={item.escalatedAt} />
            </Fact>
          )}
          <Fact label="Opened">
            <Time iso={item.createdAt} />
          </Fact>
          <Fact label="Review item id" className="mono">
            {item.id}
          </Fact>
        </Facts>
      )}
    </div>
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
