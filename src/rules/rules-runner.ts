import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantDb, type TenantTx } from '../db/tenant-scoped-db';
import type { Incident, Rule } from '../generated/prisma/client';
import { publishEvent } from '../pubsub/event-bus';
import { TOPICS, type AlertMessage } from '../pubsub/topics';
import type { WebhookEventSink } from '../webhooks/webhook-events';
import { severityName } from '../incidents/incident-stitching';
import { type IncidentChanges, Incidents, noIncidentChanges } from '../incidents/incidents';
import { type EventPublisher, LiveEvents, redisPublisher } from '../pubsub/live-events';
import { ReviewItems } from '../review/review-items';
import { actionSchema, type RuleAction } from './rule-definition';
import {
  CompiledRuleCache,
  evaluateCondition,
  factsOf,
  summaryOf,
  type CompiledCondition,
  type ResultFacts,
} from './rule-evaluator';
import { RULE_INPUT_STATUSES, StreamHistory } from './stream-history';

export interface RulesRunnerDeps {
  prisma: PrismaClient;
  /** A plain connection: the streams' rule history and the tenant event channels. */
  redis: Redis;
  logger: Logger;
  /** Called once per rule that threw (a Prometheus counter in the worker). */
  onRuleError?: (tenantId: string, ruleId: string) => void;
  /** Records webhook events (and queues their deliveries). */
  webhooks: WebhookEventSink;
}

export interface RulesRunReport {
  status: 'EVALUATED' | 'SKIPPED';
  reason?: string;
  rulesEvaluated: number;
  /** Rules whose condition held and whose firing was recorded now. */
  fired: { ruleId: string; incidentId: string; opened: boolean; matchedPaths: string[] }[];
  /** Rules that threw: logged and counted, the others ran regardless. */
  failed: { ruleId: string; error: string }[];
  /** Enabled rules that carried an earlier failure (Rule.lastError) when this run read them. */
  rulesWithEarlierErrors: number;
}

interface AnalysisContext {
  tenantId: string;
  analysisId: string;
  streamId: string;
  window: { id: string; startAt: Date; endAt: Date; frameIds: string[] };
  facts: ResultFacts;
  /** The result JSON as stored (for the incident's summary, in the model's own words). */
  result: unknown;
  severity: string | null;
}

interface Firing {
  incident: Incident;
  opened: boolean;
  /** Incidents opened and closed by this firing's transaction, for partners once it committed. */
  changes: IncidentChanges;
  /** The live events of the firing's transaction, sent once it committed. */
  events: LiveEvents;
  createdReviewItemId?: string;
  alert?: AlertMessage;
}

/**
 * Runs a tenant's enabled rules (highest priority first) on one finished analysis: evaluates each
 * against the result and the stream's recent history, stitches firings into incidents and carries
 * out the rules' actions. One firing's writes are one transaction; events go out after it commits.
 * Idempotent per analysis: an incident that already lists the analysis is not touched again.
 */
export class RulesRunner {
  private readonly compiled = new CompiledRuleCache();
  private readonly history: StreamHistory;
  private readonly reviewItems: ReviewItems;
  private readonly incidents: Incidents;
  private readonly publisher: EventPublisher;

  constructor(private readonly deps: RulesRunnerDeps) {
    this.history = new StreamHistory(deps.redis);
    this.publisher = redisPublisher(deps.redis);
    this.reviewItems = new ReviewItems(this.publisher, deps.webhooks);
    this.incidents = new Incidents(deps.webhooks);
  }

  async run(tenantId: string, analysisId: string): Promise<RulesRunReport> {
    const report: RulesRunReport = {
      status: 'EVALUATED',
      rulesEvaluated: 0,
      fired: [],
      failed: [],
      rulesWithEarlierErrors: 0,
    };
    const db = tenantDb(this.deps.prisma, tenantId);
    const analysis = await db.analysis.findUnique({
      where: { id: analysisId },
      select: {
        id: true,
        streamId: true,
        windowId: true,
        status: true,
        result: true,
        reasoning: true,
        rulesEvaluatedAt: true,
        window: { select: { id: true, startAt: true, endAt: true, frameIds: true } },
      },
    });
    if (!analysis) return { ...report, status: 'SKIPPED', reason: 'analysis not found (deleted)' };
    if (!(RULE_INPUT_STATUSES as readonly string[]).includes(analysis.status)) {
      return { ...report, status: 'SKIPPED', reason: `analysis is ${analysis.status}` };
    }
    if (analysis.rulesEvaluatedAt) return { ...report, status: 'SKIPPED', reason: 'rules already evaluated' };

    const rules = await db.rule.findMany({
      where: { enabled: true },
      orderBy: [{ priority: 'desc' }, { id: 'asc' }],
    });
    report.rulesWithEarlierErrors = rules.filter((rule) => rule.lastError !== null).length;
    const compiledRules: { rule: Rule; compiled: CompiledCondition }[] = [];
    for (const rule of rules) {
      try {
        compiledRules.push({ rule, compiled: this.compiled.get(rule) });
      } catch (error) {
        this.ruleFailed(report, tenantId, rule.id, error);
      }
    }
    const facts = factsOf(analysis, analysis.window.endAt);
    const depth = Math.max(0, ...compiledRules.map((entry) => entry.compiled.historyDepth));
    const history = await this.history.readAndAppend(db, tenantId, analysis.streamId, facts, depth);
    const context: AnalysisContext = {
      tenantId,
      analysisId,
      streamId: analysis.streamId,
      window: analysis.window,
      facts,
      result: analysis.result,
      severity: highestSeverity(facts),
    };

    const createdItems: string[] = [];
    const dismissBelow: { ruleId: string; belowConfidence: number }[] = [];
    for (const { rule, compiled } of compiledRules) {
      report.rulesEvaluated += 1;
      let evaluation: ReturnType<typeof evaluateCondition>;
      let action: RuleAction;
      try {
        evaluation = evaluateCondition(compiled, facts, history, { explain: true });
        if (!evaluation.matched) continue;
        action = actionSchema.parse(rule.action);
      } catch (error) {
        this.ruleFailed(report, tenantId, rule.id, error);
        continue;
      }
      // What fails from here on is the database or Redis, not the rule: the run fails before the
      // analysis is marked evaluated, and its job is retried (firings already recorded are kept once).
      const firing = await this.fire(db, context, rule, action);
      if (!firing) continue;
      report.fired.push({
        ruleId: rule.id,
        incidentId: firing.incident.id,
        opened: firing.opened,
        matchedPaths: evaluation.matchedPaths,
      });
      await this.announce(db, context, rule, action, firing);
      if (firing.createdReviewItemId) createdItems.push(firing.createdReviewItemId);
      if (action.type === 'autoDismiss')
        dismissBelow.push({ ruleId: rule.id, belowConfidence: action.belowConfidence });
    }
    await this.autoDismiss(db, context, createdItems, dismissBelow);
    await db.analysis.update({ where: { id: analysisId }, data: { rulesEvaluatedAt: new Date() } });
    return report;
  }

  private ruleFailed(report: RulesRunReport, tenantId: string, ruleId: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    report.failed.push({ ruleId, error: message });
    this.deps.onRuleError?.(tenantId, ruleId);
    this.deps.logger.error({ err: error, tenantId, ruleId }, 'a rule failed; the others ran');
  }

  /** Records one firing: stitched into the open incident or a new one, with the action's rows. */
  private async fire(
    db: TenantDb,
    context: AnalysisContext,
    rule: Rule,
    action: RuleAction,
  ): Promise<Firing | null> {
    const events = new LiveEvents();
    const changes = noIncidentChanges();
    const summary = describe(rule, context.facts, summaryOf(context.result));
    const firing = await db.$transaction(async (tx): Promise<Firing | null> => {
      const recorded = await this.incidents.recordFiring(
        tx,
        {
          tenantId: context.tenantId,
          streamId: context.streamId,
          rule,
          analysisId: context.analysisId,
          window: context.window,
          severity: context.severity,
          confidence: context.facts.confidence,
          summary,
          resultHasSummary: Boolean(context.facts.summary),
        },
        changes,
      );
      if (!recorded) return null;
      const firing: Firing = { ...recorded, changes, events };
      if (action.type === 'review') {
        const { item, createdNow } = await this.reviewItems.ensureForIncident(
          tx,
          recorded.incident,
          action,
          events,
        );
        if (createdNow) firing.createdReviewItemId = item.id;
      }
      if (action.type === 'alert') {
        firing.alert = await this.ensureAlert(tx, recorded.incident, rule, action, summary);
      }
      return firing;
    });
    return firing;
  }

  private async ensureAlert(
    tx: TenantTx,
    incident: Incident,
    rule: Rule,
    action: Extract<RuleAction, { type: 'alert' }>,
    message: string,
  ): Promise<AlertMessage | undefined> {
    const existing = await tx.alert.findUnique({
      where: {
        tenantId_incidentId_ruleId: { tenantId: incident.tenantId, incidentId: incident.id, ruleId: rule.id },
      },
      select: { id: true },
    });
    if (existing) return undefined;
    const alert = await tx.alert.create({
      data: {
        tenantId: incident.tenantId,
        incidentId: incident.id,
        streamId: incident.streamId,
        ruleId: rule.id,
        severity: action.severity,
        message,
      },
    });
    return {
      alertId: alert.id,
      incidentId: incident.id,
      streamId: incident.streamId,
      ruleId: rule.id,
      severity: alert.severity,
      message: alert.message,
    };
  }

  /**
   * After commit: live events, and the webhooks (PostgreSQL first, idempotent by their event keys):
   * incident.opened / incident.closed and alert.raised to every endpoint subscribed to them, and the
   * rule's own webhook action.
   */
  private async announce(
    db: TenantDb,
    context: AnalysisContext,
    rule: Rule,
    action: RuleAction,
    firing: Firing,
  ): Promise<void> {
    const { redis } = this.deps;
    const { tenantId } = context;
    const publish = async (channel: string, payload: object): Promise<void> => {
      try {
        await publishEvent(redis, channel, payload);
      } catch (error) {
        // PostgreSQL has the row; a lost event only delays what a console shows.
        this.deps.logger.warn({ err: error, channel }, 'could not publish a rule event');
      }
    };
    await firing.events.publish(this.publisher, (error, channel) =>
      this.deps.logger.warn({ err: error, channel }, 'could not publish a rule event'),
    );
    await this.incidents.announce(db, tenantId, firing.changes);
    if (firing.alert) {
      await publish(TOPICS.alerts(tenantId), firing.alert);
      await this.deps.webhooks(tenantId, 'alert.raised', `alert.raised:${firing.alert.alertId}`, {
        ...firing.alert,
        ruleName: rule.name,
        summary: firing.incident.summary,
      });
    }
    if (action.type === 'webhook') {
      const { incident } = firing;
      await this.deps.webhooks(tenantId, action.event, `${action.event}:${incident.id}`, {
        incidentId: incident.id,
        ruleId: rule.id,
        ruleName: rule.name,
        streamId: incident.streamId,
        startAt: incident.startAt.toISOString(),
        windowId: context.window.id,
        analysisId: context.analysisId,
        severity: incident.severity,
        confidence: incident.confidence,
        summary: incident.summary,
      });
    }
  }

  /** autoDismiss: review items opened by this run are resolved when the result's confidence is low. */
  private async autoDismiss(
    db: TenantDb,
    context: AnalysisContext,
    itemIds: string[],
    thresholds: { ruleId: string; belowConfidence: number }[],
  ): Promise<void> {
    const confidence = context.facts.confidence;
    if (!itemIds.length || !thresholds.length || confidence === undefined) return;
    // The rule with the highest threshold decides (and is named as the one that dismissed).
    const strictest = thresholds.reduce((a, b) => (b.belowConfidence > a.belowConfidence ? b : a));
    if (confidence >= strictest.belowConfidence) return;
    await this.reviewItems.autoDismiss(
      db,
      context.tenantId,
      strictest.ruleId,
      itemIds,
      `confidence ${confidence} below the auto-dismiss threshold ${strictest.belowConfidence}`,
    );
  }
}

function highestSeverity(facts: ResultFacts): string | null {
  const ranks = Object.values(facts.anomalies);
  return ranks.length ? severityName(Math.max(...ranks)) : null;
}

function describe(rule: Rule, facts: ResultFacts, summary: string): string {
  const seen = Object.keys(facts.objects).slice(0, 5).join(', ');
  const detail = summary || (seen ? `seen: ${seen}` : '');
  return `${rule.name}${detail ? `: ${detail}` : ''}`.slice(0, 1000);
}
