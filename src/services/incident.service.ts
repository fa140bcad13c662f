import { z } from 'zod';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import { validateInput } from '../errors/validate-input';
import type { Incident, IncidentFiring, IncidentStatus } from '../generated/prisma/client';
import {
  backtestRule,
  DEFAULT_BACKTEST_LIMIT,
  MAX_BACKTEST_LIMIT,
  type BacktestOutcome,
} from '../rules/backtest';
import { assertKnownLabels, type VocabularyLoader } from '../rules/label-vocabulary';
import {
  actionSchema,
  conditionSchema,
  conditionShapeProblems,
  labelsInCondition,
} from '../rules/rule-definition';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const draftSchema = z.object({
  condition: conditionSchema.superRefine((condition, context) => {
    for (const message of conditionShapeProblems(condition)) context.addIssue({ code: 'custom', message });
  }),
  action: actionSchema,
  cooldownSeconds: z.number().int().min(0).max(86_400).default(60),
});

const backtestSchema = z
  .object({
    ruleId: z.string().nullish(),
    draft: draftSchema.nullish(),
    streamId: z.string(),
    from: z.date().nullish(),
    to: z.date().nullish(),
    limit: z.number().int().min(1).max(MAX_BACKTEST_LIMIT).nullish(),
  })
  .refine((input) => Boolean(input.ruleId) !== Boolean(input.draft), 'needs exactly one of ruleId and draft')
  .refine((input) => !input.from || !input.to || input.from <= input.to, 'from must not be after to');

export interface BacktestInput {
  ruleId?: string | null;
  draft?: { condition?: unknown; action?: unknown; cooldownSeconds?: unknown } | null;
  streamId: string;
  from?: Date | null;
  to?: Date | null;
  limit?: number | null;
}

/** Incidents (stitched firings of a rule on a stream) with their evidence, and rule backtests. */
export class IncidentService {
  /** `vocabulary` reads a tenant's labels: a draft's condition may name only those. */
  constructor(private readonly vocabulary: VocabularyLoader) {}

  async list(
    db: TenantDb,
    page: PageArgs,
    filter: { streamId?: string | null; status?: IncidentStatus | null },
  ): Promise<Connection<Incident>> {
    const streamId = filter.streamId ? requireId(filter.streamId, 'streamId') : null;
    if (streamId && !(await db.stream.findUnique({ where: { id: streamId }, select: { id: true } }))) {
      throw notFound('Stream');
    }
    return paginate(
      page,
      (query) =>
        db.incident.findMany({
          ...query,
          where: {
            ...query.where,
            ...(streamId ? { streamId } : {}),
            ...(filter.status ? { status: filter.status } : {}),
          },
        }),
      'desc',
    );
  }

  async get(db: TenantDb, incidentId: string): Promise<Incident> {
    const incident = await db.incident.findUnique({ where: { id: requireId(incidentId, 'incidentId') } });
    if (!incident) throw notFound('Incident');
    return incident;
  }

  /** The incident's firings, a page at a time in firing order (each with its window and analysis). */
  firingsOf(db: TenantDb, incidentId: string, page: PageArgs): Promise<Connection<IncidentFiring>> {
    return paginate(page, (query) =>
      db.incidentFiring.findMany({ ...query, where: { ...query.where, incidentId } }),
    );
  }

  /**
   * What a saved rule or a draft would have fired on a stream's stored results. Reads only. A
   * draft's labels must be in the tenant's vocabulary; a saved rule is run as stored.
   */
  async backtest(db: TenantDb, tenantId: string, input: BacktestInput): Promise<BacktestOutcome> {
    // Ids first: another tenant's stream or rule is NOT_FOUND whatever else the input holds.
    const streamId = requireId(input.streamId, 'input.streamId');
    if (!(await db.stream.findUnique({ where: { id: streamId }, select: { id: true } })))
      throw notFound('Stream');
    const saved = input.ruleId
      ? await db.rule.findUnique({ where: { id: requireId(input.ruleId, 'input.ruleId') } })
      : null;
    if (input.ruleId && !saved) throw notFound('Rule');
    const parsed = validateInput(backtestSchema, input);
    if (parsed.draft) {
      await assertKnownLabels(
        this.vocabulary,
        tenantId,
        labelsInCondition(parsed.draft.condition, 'input.draft.condition'),
      );
    }
    const rule = saved
      ? {
          condition: validateInput(conditionSchema, saved.condition, 'rule.condition'),
          cooldownSeconds: saved.cooldownSeconds,
        }
      : { condition: parsed.draft!.condition, cooldownSeconds: parsed.draft!.cooldownSeconds };
    return backtestRule(db, streamId, rule, {
      from: parsed.from,
      to: parsed.to,
      limit: parsed.limit ?? DEFAULT_BACKTEST_LIMIT,
    });
  }
}
