import type Redis from 'ioredis';
import { z } from 'zod';
import { sealSecret } from '../auth/secret-box';
import type { AppConfig } from '../config/config';
import { ConfigError } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { badInput, conflict, ErrorReason, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { InferenceNode, InferenceNodeState } from '../generated/prisma/client';
import {
  NodeDefinition,
  nodeNameSchema,
  normalizeNodeUrl,
  registeredNodeUrlSchema,
} from '../config/node-definition';
import { configuredNodes, registeredNode } from '../inference/gpu/node-registry';
import {
  aggregateNodeReports,
  AggregatedNodeStatus,
  NO_REPORT,
  parseWorkerNodeReport,
  type ReportedDefinition,
  reportedConfigNodes,
  WorkerNodeReport,
} from '../inference/gpu/node-status-report';
import { NODE_STATUS_KEY_PREFIX, TOPICS } from '../pubsub/topics';
import { type AuditActor, recordAudit } from '../audit/audit-log';
import { requireId } from './input-schemas';

const registerNodeSchema = z.object({
  name: nodeNameSchema,
  url: registeredNodeUrlSchema.transform(normalizeNodeUrl),
  apiKey: z.string().min(1, 'must not be empty (omit it for a node without a key)').max(4096).nullish(),
  model: z.string().trim().min(1, 'must not be empty').max(200),
  maxConcurrency: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .nullish()
    .transform((value) => value ?? 16),
  weight: z
    .number()
    .gt(0, 'must be above 0')
    .max(1000)
    .nullish()
    .transform((value) => value ?? 1),
});

export type RegisterNodeFields = z.input<typeof registerNodeSchema>;

/** A GPU node as GraphQL shows it: never its key, and with what the workers report about it. */
export interface InferenceNodeView extends Omit<AggregatedNodeStatus, 'breaker'> {
  id: string;
  name: string;
  url: string;
  model: string;
  maxConcurrency: number;
  weight: number;
  state: InferenceNodeState;
  source: 'CONFIG' | 'REGISTRY';
  hasApiKey: boolean;
  problem: string | null;
  breaker: 'CLOSED' | 'HALF_OPEN' | 'OPEN' | null;
}

/** Config nodes have no row; this id names them in lists and refuses changes with a clear error. */
export const CONFIG_NODE_ID_PREFIX = 'config:';

const BREAKER = { closed: 'CLOSED', 'half-open': 'HALF_OPEN', open: 'OPEN' } as const;

/**
 * GPU nodes for platform admins: those of VLLM_NODES (read-only here) and those registered at run
 * time (InferenceNode rows, platform-wide, so the platform client). After every change the workers
 * are told on TOPICS.inferenceNodesChanged to reload their node list; each change is audited in the
 * acting admin's own tenant.
 */
export class InferenceNodeService {
  private readonly configNodes: NodeDefinition[];

  constructor(
    private readonly prisma: PrismaClient,
    private readonly redis: Redis,
    private readonly config: Pick<AppConfig, 'VLLM_NODES' | 'INFERENCE_NODE_KEY_SECRET'>,
  ) {
    try {
      this.configNodes = configuredNodes(config);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }

  /**
   * Every node the workers use: VLLM_NODES of this process, VLLM_NODES of the workers (as their
   * reports define them: the API process need not be given the workers' list), then the
   * registered ones.
   */
  async list(): Promise<InferenceNodeView[]> {
    const [rows, { statuses, workersOnly, configNames }] = await Promise.all([
      this.prisma.inferenceNode.findMany({ orderBy: { name: 'asc' } }),
      this.workerBoard(),
    ]);
    return [
      ...this.configNodes.map((node) => this.configView(node, statuses)),
      ...workersOnly.map((node) => this.configView({ ...node, apiKey: null }, statuses, node.hasApiKey)),
      ...rows.map((row) => this.registryView(row, statuses, configNames)),
    ];
  }

  /**
   * One read of the workers' reports: the nodes' statuses, the workers' VLLM_NODES entries this
   * process has not been given (in name order), and every VLLM_NODES name, this process's and
   * the workers'.
   */
  private async workerBoard(): Promise<{
    statuses: Map<string, AggregatedNodeStatus>;
    workersOnly: (ReportedDefinition & { name: string })[];
    configNames: Set<string>;
  }> {
    const reports = await this.reports();
    const own = new Set(this.configNodes.map((node) => node.name));
    const workersOnly = [...reportedConfigNodes(reports).values()]
      .filter((node) => !own.has(node.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      statuses: aggregateNodeReports(reports),
      workersOnly,
      configNames: new Set([...own, ...workersOnly.map((node) => node.name)]),
    };
  }

  async register(actor: AuditActor, input: RegisterNodeFields): Promise<InferenceNodeView> {
    const node = validateInput(registerNodeSchema, input);
    const board = await this.workerBoard();
    if (board.configNames.has(node.name)) {
      throw conflict(`A GPU node named "${node.name}" is configured in VLLM_NODES`, ErrorReason.DUPLICATE);
    }
    if (node.apiKey && !this.config.INFERENCE_NODE_KEY_SECRET) {
      throw badInput([
        {
          field: 'input.apiKey',
          message:
            'cannot be stored: the operator must set INFERENCE_NODE_KEY_SECRET (on the API and every worker) to encrypt node keys',
        },
      ]);
    }
    const apiKeyEncrypted = node.apiKey
      ? sealSecret(node.apiKey, this.config.INFERENCE_NODE_KEY_SECRET)
      : null;
    const row = await withPrismaErrors('GPU node', () =>
      this.prisma.$transaction(async (tx) => {
        const created = await tx.inferenceNode.create({
          data: {
            name: node.name,
            url: node.url,
            apiKeyEncrypted,
            modelName: node.model,
            maxConcurrency: node.maxConcurrency,
            weight: node.weight,
          },
        });
        await recordAudit(tx, actor, {
          action: 'inferenceNode.register',
          entityType: 'InferenceNode',
          entityId: created.id,
          data: {
            name: node.name,
            url: node.url,
            model: node.model,
            maxConcurrency: node.maxConcurrency,
            weight: node.weight,
            hasApiKey: apiKeyEncrypted !== null,
          },
        });
        return created;
      }),
    );
    await this.announce(row.name, 'registered');
    return this.registryView(row, board.statuses, board.configNames);
  }

  /** DRAINING: workers finish what the node has and send it nothing new; ACTIVE undoes it. */
  async setState(actor: AuditActor, nodeId: string, state: InferenceNodeState): Promise<InferenceNodeView> {
    const id = this.registeredNodeId(nodeId);
    const { row, changed } = await withPrismaErrors('GPU node', () =>
      this.prisma.$transaction(async (tx) => {
        const current = await tx.inferenceNode.findUnique({ where: { id } });
        if (!current) throw notFound('GPU node');
        if (current.state === state) return { row: current, changed: false };
        const updated = await tx.inferenceNode.update({ where: { id }, data: { state } });
        await recordAudit(tx, actor, {
          action: state === 'DRAINING' ? 'inferenceNode.drain' : 'inferenceNode.activate',
          entityType: 'InferenceNode',
          entityId: id,
          data: { name: current.name, from: current.state, to: state },
        });
        return { row: updated, changed: true };
      }),
    );
    if (changed) await this.announce(row.name, state === 'DRAINING' ? 'drained' : 'activated');
    const board = await this.workerBoard();
    return this.registryView(row, board.statuses, board.configNames);
  }

  /** Removes a registered node; workers let its requests in flight finish. Returns its id. */
  async remove(actor: AuditActor, nodeId: string): Promise<string> {
    const id = this.registeredNodeId(nodeId);
    const removed = await withPrismaErrors('GPU node', () =>
      this.prisma.$transaction(async (tx) => {
        const deleted = await tx.inferenceNode.delete({ where: { id } });
        await recordAudit(tx, actor, {
          action: 'inferenceNode.remove',
          entityType: 'InferenceNode',
          entityId: id,
          data: { name: deleted.name, url: deleted.url },
        });
        return deleted;
      }),
    );
    await this.announce(removed.name, 'removed');
    return removed.id;
  }

  private registeredNodeId(nodeId: string): string {
    if (typeof nodeId === 'string' && nodeId.startsWith(CONFIG_NODE_ID_PREFIX)) {
      throw badInput([
        {
          field: 'nodeId',
          message:
            'names a node configured in VLLM_NODES: change it in the configuration of the workers, not through the API',
        },
      ]);
    }
    return requireId(nodeId, 'nodeId');
  }

  /**
   * Tells the workers to reload. The change is already committed (PostgreSQL is the truth), so a
   * Redis hiccup here must not report the change as failed; the worker's next reload picks it up.
   */
  private async announce(name: string, change: string): Promise<void> {
    await this.redis
      .publish(TOPICS.inferenceNodesChanged, JSON.stringify({ name, change }))
      .catch(() => undefined);
  }

  /** Every worker's current report (keys expire with their worker). */
  private async reports(): Promise<WorkerNodeReport[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(
        cursor,
        'MATCH',
        `${NODE_STATUS_KEY_PREFIX}*`,
        'COUNT',
        200,
      );
      cursor = next;
      for (const key of found) keys.add(key);
    } while (cursor !== '0');
    const reports: WorkerNodeReport[] = [];
    const all = [...keys];
    for (let start = 0; start < all.length; start += 200) {
      const values = await this.redis.mget(all.slice(start, start + 200));
      for (const value of values) {
        const report = parseWorkerNodeReport(value);
        if (report) reports.push(report);
      }
    }
    return reports;
  }

  private withStatus(
    base: Omit<InferenceNodeView, keyof AggregatedNodeStatus>,
    statuses: Map<string, AggregatedNodeStatus>,
  ): InferenceNodeView {
    const status = statuses.get(base.name) ?? NO_REPORT;
    return { ...base, ...status, breaker: status.breaker ? BREAKER[status.breaker] : null };
  }

  private configView(
    node: Omit<NodeDefinition, 'source'>,
    statuses: Map<string, AggregatedNodeStatus>,
    hasApiKey = node.apiKey !== null,
  ): InferenceNodeView {
    return this.withStatus(
      {
        id: `${CONFIG_NODE_ID_PREFIX}${node.name}`,
        name: node.name,
        url: node.url,
        model: node.model,
        maxConcurrency: node.maxConcurrency,
        weight: node.weight,
        state: node.state,
        source: 'CONFIG',
        hasApiKey,
        problem: null,
      },
      statuses,
    );
  }

  private registryView(
    row: InferenceNode,
    statuses: Map<string, AggregatedNodeStatus>,
    configNames: ReadonlySet<string>,
  ): InferenceNodeView {
    const outcome = registeredNode(row, configNames, this.config.INFERENCE_NODE_KEY_SECRET);
    return this.withStatus(
      {
        id: row.id,
        name: row.name,
        url: row.url,
        model: row.modelName,
        maxConcurrency: row.maxConcurrency,
        weight: row.weight,
        state: row.state,
        source: 'REGISTRY',
        hasApiKey: row.apiKeyEncrypted !== null,
        problem: 'problem' in outcome ? outcome.problem : null,
      },
      // A row shadowed by a config node of the same name: the reports are about that one.
      'problem' in outcome && configNames.has(row.name) ? new Map() : statuses,
    );
  }
}
