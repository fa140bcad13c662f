import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { badInput, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { Prisma, PromptTemplate, PromptTemplateVersion, Tenant } from '../generated/prisma/client';
import { assertKnownLabels, normalizeLabel, type VocabularyLoader } from '../rules/label-vocabulary';
import { renderTemplate, variablesOf } from '../templates/prompt-renderer';
import { VIGIL_VARIABLES, vigilVariables } from '../templates/vigil-variables';
import { DEFAULT_RESULT_SCHEMA, resultSchemaShapeProblems } from '../templates/result-schema';
import type { ResultSchemaCompiler } from '../templates/result-schema-compiler';
import { recordAudit } from '../audit/audit-log';
import { nameSchema, requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

// Qwen3-VL's recommended sampling (docs/gpu-node-contract.md). Sent explicitly with every request,
// because vLLM would otherwise apply the model's own generation defaults.
export const SAMPLING_DEFAULTS = {
  THINKING: { temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 0.0 },
  INSTRUCT: { temperature: 0.7, topP: 0.8, topK: 20, presencePenalty: 1.5 },
} as const;

const MAX_TEXT = 20_000;
const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_GATE_OBJECTS = 20;

// Which labels are known depends on the tenant (its custom labels), so they are checked after parsing.
const gateObjectsSchema = z
  .array(z.string().max(100))
  .max(MAX_GATE_OBJECTS, `must list at most ${MAX_GATE_OBJECTS} labels`)
  .nullish()
  .transform((labels) => [...new Set((labels ?? []).map(normalizeLabel))]);

const versionSchema = z
  .object({
    systemText: z.string().min(1, 'must not be empty').max(MAX_TEXT),
    instructionText: z.string().min(1, 'must not be empty').max(MAX_TEXT),
    resultSchema: z
      .unknown()
      .optional()
      .refine((schema) => schema === undefined || JSON.stringify(schema).length <= MAX_SCHEMA_BYTES, {
        message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON`,
      }),
    mode: z.enum(['THINKING', 'INSTRUCT']).default('THINKING'),
    modelName: z.string().trim().min(1).max(200).default('qwen3-vl-8b-thinking'),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().gt(0).max(1).optional(),
    topK: z.number().int().min(-1).max(1000).optional(),
    presencePenalty: z.number().min(-2).max(2).optional(),
    maxCompletionTokens: z.number().int().min(16).max(131_072).default(4096),
    thinkingTokenBudget: z.number().int().min(0).max(131_072).default(2048),
    gateObjects: gateObjectsSchema,
    gateNsfw: z
      .boolean()
      .nullish()
      .transform((value) => value ?? false),
    gateMinConfidence: z
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .nullish()
      .transform((value) => value ?? 0.5),
    reanalyseDegraded: z
      .boolean()
      .nullish()
      .transform((value) => value ?? false),
  })
  .superRefine((version, context) => {
    if (variablesOf(version.systemText).length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['systemText'],
        message: 'must not contain {{variables}}: it is the fixed prefix the prefix cache relies on',
      });
    }
    if (version.mode === 'THINKING' && version.thinkingTokenBudget >= version.maxCompletionTokens) {
      context.addIssue({
        code: 'custom',
        path: ['thinkingTokenBudget'],
        message: 'must be smaller than maxCompletionTokens, or no tokens are left for the answer',
      });
    }
    // The default schema is known to be usable; a tenant's is compiled later, off the event loop.
    const schemaProblems =
      version.resultSchema === undefined ? [] : resultSchemaShapeProblems(version.resultSchema);
    for (const problem of schemaProblems) {
      context.addIssue({
        code: 'custom',
        path: ['resultSchema', ...(problem.path ? problem.path.split('.') : [])],
        message: problem.message,
      });
    }
  });

const createTemplateSchema = z.object({
  name: nameSchema,
  description: z.string().max(2000).default(''),
  version: versionSchema,
});

const previewSchema = z.record(z.string().max(100), z.string().max(MAX_TEXT)).default({});

export type TemplateVersionInput = z.input<typeof versionSchema>;
export type CreateTemplateInput = z.input<typeof createTemplateSchema>;

export interface PromptPreview {
  systemText: string;
  instructionText: string;
  variables: string[];
  /** The variables Vigil filled (stream name, the tenant's policy), which no caller supplies. */
  filledByVigil: string[];
  /** The name {{streamName}} became: the chosen stream's, or SAMPLE_STREAM_NAME. */
  streamName: string;
  missingVariables: string[];
  unusedVariables: string[];
}

/** The stream name a preview shows when no stream is chosen. */
export const SAMPLE_STREAM_NAME = 'Sample stream';

/** A version's gate labels as given, each with its input path (positions before de-duplication). */
function gateLabels(version: { gateObjects?: unknown } | undefined, prefix: string) {
  const given = Array.isArray(version?.gateObjects) ? (version.gateObjects as unknown[]) : [];
  return given.flatMap((label, index) =>
    typeof label === 'string' ? [{ path: `${prefix}.gateObjects.${index}`, label }] : [],
  );
}

export class PromptTemplateService {
  /** `vocabulary` reads a tenant's labels: a gate may name only those. */
  constructor(
    private readonly vocabulary: VocabularyLoader,
    /** The tenant's policy text, which every instruction's {{policy}} becomes. */
    private readonly loadTenant: (tenantId: string) => Promise<Pick<Tenant, 'policyText'>>,
    /** Compiles tenants' result schemas off the event loop. */
    private readonly schemas: Pick<ResultSchemaCompiler, 'problems'>,
  ) {}

  /** A tenant's result schema must compile: BAD_USER_INPUT naming where it does not. */
  private async assertSchemaCompiles(schema: unknown, field: string): Promise<void> {
    if (schema === undefined) return;
    const problems = await this.schemas.problems(schema);
    if (problems.length > 0)
      throw badInput(
        problems.map((problem) => ({
          field: [field, problem.path].filter(Boolean).join('.'),
          message: problem.message,
        })),
      );
  }

  list(db: TenantDb, page: PageArgs): Promise<Connection<PromptTemplate>> {
    return paginate(page, (query) => db.promptTemplate.findMany(query));
  }

  async get(db: TenantDb, templateId: string): Promise<PromptTemplate> {
    const template = await db.promptTemplate.findUnique({
      where: { id: requireId(templateId, 'templateId') },
    });
    if (!template) throw notFound('Prompt template');
    return template;
  }

  async getVersion(db: TenantDb, versionId: string): Promise<PromptTemplateVersion> {
    const version = await db.promptTemplateVersion.findUnique({
      where: { id: requireId(versionId, 'versionId') },
    });
    if (!version) throw notFound('Prompt template version');
    return version;
  }

  async listVersions(
    db: TenantDb,
    templateId: string,
    page: PageArgs,
  ): Promise<Connection<PromptTemplateVersion>> {
    const template = await this.get(db, templateId);
    return paginate(page, (query) =>
      db.promptTemplateVersion.findMany({ ...query, where: { ...query.where, templateId: template.id } }),
    );
  }

  /** Creates the template with its first version, which becomes the active one. */
  async create(db: TenantDb, actor: Actor, input: CreateTemplateInput): Promise<PromptTemplate> {
    const { name, description, version } = validateInput(createTemplateSchema, input);
    await assertKnownLabels(this.vocabulary, actor.tenantId, gateLabels(input.version, 'input.version'));
    await this.assertSchemaCompiles(version.resultSchema, 'input.version.resultSchema');
    return withPrismaErrors('prompt template', () =>
      db.$transaction(async (tx) => {
        const template = await tx.promptTemplate.create({
          data: { tenantId: actor.tenantId, name, description },
        });
        const first = await this.insertVersion(tx, actor, template.id, 1, version);
        await recordAudit(tx, actor, {
          action: 'promptTemplate.create',
          entityType: 'PromptTemplate',
          entityId: template.id,
          data: { name, versionId: first.id },
        });
        return tx.promptTemplate.update({ where: { id: template.id }, data: { activeVersionId: first.id } });
      }),
    );
  }

  /** Adds a version. Versions are immutable; the new one is not active until activated. */
  async addVersion(
    db: TenantDb,
    actor: Actor,
    templateId: string,
    input: TemplateVersionInput,
  ): Promise<PromptTemplateVersion> {
    const id = requireId(templateId, 'templateId');
    const version = validateInput(versionSchema, input);
    await assertKnownLabels(this.vocabulary, actor.tenantId, gateLabels(input, 'input'));
    await this.assertSchemaCompiles(version.resultSchema, 'input.resultSchema');
    return withPrismaErrors('prompt template version', () =>
      db.$transaction(async (tx) => {
        // Lock the template row so two concurrent additions get different numbers.
        const template = await tx.promptTemplate.update({ where: { id }, data: { updatedAt: new Date() } });
        const last = await tx.promptTemplateVersion.aggregate({
          where: { templateId: template.id },
          _max: { version: true },
        });
        return this.insertVersion(tx, actor, template.id, (last._max.version ?? 0) + 1, version);
      }),
    );
  }

  async activateVersion(db: TenantDb, actor: Actor, versionId: string): Promise<PromptTemplate> {
    const id = requireId(versionId, 'versionId');
    return db.$transaction(async (tx) => {
      const version = await tx.promptTemplateVersion.findUnique({ where: { id } });
      if (!version) throw notFound('Prompt template version');
      const template = await tx.promptTemplate.update({
        where: { id: version.templateId },
        data: { activeVersionId: version.id },
      });
      await recordAudit(tx, actor, {
        action: 'promptTemplate.activateVersion',
        entityType: 'PromptTemplate',
        entityId: template.id,
        data: { versionId: version.id, version: version.version },
      });
      return template;
    });
  }

  /**
   * Renders a version as a stream's windows would get it: Vigil's own variables (VIGIL_VARIABLES)
   * hold the chosen stream's name (a sample name without one) and the tenant's policy; `variables`
   * may give the others, or override Vigil's to try a value. Only variables nobody fills are missing.
   */
  async preview(
    db: TenantDb,
    tenantId: string,
    versionId: string,
    variables: unknown,
    streamId?: string | null,
  ): Promise<PromptPreview> {
    const version = await this.getVersion(db, versionId);
    const given = validateInput(previewSchema, variables ?? {}, 'variables');
    const stream = streamId
      ? await db.stream.findUnique({ where: { id: requireId(streamId, 'streamId') }, select: { name: true } })
      : null;
    if (streamId && !stream) throw notFound('Stream');
    const tenant = await this.loadTenant(tenantId);
    const filled = vigilVariables({
      streamName: stream?.name ?? SAMPLE_STREAM_NAME,
      policyText: tenant.policyText,
    });
    const rendered = renderTemplate(version.instructionText, { ...filled, ...given });
    const used = variablesOf(version.instructionText);
    return {
      systemText: version.systemText,
      instructionText: rendered.text,
      variables: used,
      filledByVigil: VIGIL_VARIABLES.filter((name) => used.includes(name) && !Object.hasOwn(given, name)),
      streamName: stream?.name ?? SAMPLE_STREAM_NAME,
      missingVariables: rendered.missingVariables,
      // Vigil's own values are always offered: they are unused only when the caller gave them.
      unusedVariables: rendered.unusedVariables.filter(
        (name) => Object.hasOwn(given, name) || !(VIGIL_VARIABLES as readonly string[]).includes(name),
      ),
    };
  }

  private async insertVersion(
    tx: TenantTx,
    actor: Actor,
    templateId: string,
    number: number,
    version: z.output<typeof versionSchema>,
  ): Promise<PromptTemplateVersion> {
    const sampling = { ...SAMPLING_DEFAULTS[version.mode], ...definedOnly(version) };
    const created = await tx.promptTemplateVersion.create({
      data: {
        tenantId: actor.tenantId,
        templateId,
        version: number,
        systemText: version.systemText,
        instructionText: version.instructionText,
        resultSchema: (version.resultSchema ?? DEFAULT_RESULT_SCHEMA) as Prisma.InputJsonValue,
        mode: version.mode,
        modelName: version.modelName,
        temperature: sampling.temperature,
        topP: sampling.topP,
        topK: sampling.topK,
        presencePenalty: sampling.presencePenalty,
        maxCompletionTokens: version.maxCompletionTokens,
        thinkingTokenBudget: version.mode === 'THINKING' ? version.thinkingTokenBudget : 0,
        gateObjects: version.gateObjects,
        gateNsfw: version.gateNsfw,
        gateMinConfidence: version.gateMinConfidence,
        reanalyseDegraded: version.reanalyseDegraded,
      },
    });
    await recordAudit(tx, actor, {
      action: 'promptTemplate.addVersion',
      entityType: 'PromptTemplateVersion',
      entityId: created.id,
      data: { templateId, version: number },
    });
    return created;
  }
}

function definedOnly(version: z.output<typeof versionSchema>) {
  const { temperature, topP, topK, presencePenalty } = version;
  return Object.fromEntries(
    Object.entries({ temperature, topP, topK, presencePenalty }).filter(([, value]) => value !== undefined),
  ) as Partial<typeof SAMPLING_DEFAULTS.THINKING>;
}
