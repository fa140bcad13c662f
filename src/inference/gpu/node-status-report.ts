import { z } from 'zod';
import type { BreakerState } from './circuit-breaker';
import type { NodeStatus } from './node-pool';

/**
 * What one worker writes under NODE_STATUS_KEY_PREFIX + workerId (src/pubsub/topics.ts), and how
 * the API folds every worker's report into one view per node. Each worker sees the nodes through
 * its own connections and breakers, so the views differ: the API shows the most alarming one.
 */
export interface WorkerNodeReport {
  workerId: string;
  /** When the report was written (ISO string or epoch milliseconds in the JSON). */
  at: Date;
  nodes: ReportedNode[];
}

export type ReportedNode = Pick<
  NodeStatus,
  'name' | 'healthy' | 'breaker' | 'outstanding' | 'running' | 'waiting' | 'kvCacheUsage' | 'lastError'
> & {
  /** How the worker has the node defined; null in reports of workers that did not say. */
  definition: ReportedDefinition | null;
};

/** A node as a worker has it defined (never its key): enough to list a node only workers know. */
export interface ReportedDefinition {
  url: string;
  model: string;
  source: NodeStatus['source'];
  state: NodeStatus['state'];
  maxConcurrency: number;
  weight: number;
  hasApiKey: boolean;
}

const reportedDefinitionSchema = z.object({
  url: z.string(),
  model: z.string(),
  source: z.enum(['config', 'registry']),
  state: z.enum(['ACTIVE', 'DRAINING']).catch('ACTIVE'),
  maxConcurrency: z.number().int().positive(),
  weight: z.number().positive().catch(1),
  hasApiKey: z.boolean().catch(false),
});

const reportedNodeSchema = z.object({
  name: z.string(),
  healthy: z.boolean().nullable().catch(null),
  breaker: z.enum(['closed', 'open', 'half-open']).catch('closed'),
  outstanding: z.number().nonnegative().catch(0),
  running: z.number().nullable().catch(null),
  waiting: z.number().nullable().catch(null),
  kvCacheUsage: z.number().nullable().catch(null),
  lastError: z.string().nullable().catch(null),
});

const reportSchema = z.object({
  workerId: z.string(),
  at: z.union([z.string(), z.number()]).transform((value) => new Date(value)),
  nodes: z.array(z.unknown()),
});

/**
 * Parses one worker's JSON report; null when it is not one (a half-written or foreign value).
 * A node entry that cannot be read is left out rather than spoiling the rest of the report.
 */
export function parseWorkerNodeReport(json: string | null): WorkerNodeReport | null {
  if (!json) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success || Number.isNaN(parsed.data.at.getTime())) return null;
  const nodes: ReportedNode[] = [];
  for (const entry of parsed.data.nodes) {
    const node = reportedNodeSchema.safeParse(entry);
    if (!node.success) continue;
    const definition = reportedDefinitionSchema.safeParse(entry);
    nodes.push({ ...node.data, definition: definition.success ? definition.data : null });
  }
  return { workerId: parsed.data.workerId, at: parsed.data.at, nodes };
}

export interface AggregatedNodeStatus {
  workersReporting: number;
  /** true if any worker sees the node healthy, false if some see it unhealthy and none healthy, else null. */
  healthy: boolean | null;
  /** The worst state any worker reports; null when none reports the node. */
  breaker: BreakerState | null;
  /** Summed over workers: each counts only its own requests. */
  outstanding: number;
  /** The node's own /metrics figures: the highest any worker read. */
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
  /** From the most recent report that has an error. */
  lastError: string | null;
  /** The most recent report mentioning the node. */
  reportedAt: Date | null;
}

export const NO_REPORT: Readonly<AggregatedNodeStatus> = Object.freeze({
  workersReporting: 0,
  healthy: null,
  breaker: null,
  outstanding: 0,
  running: null,
  waiting: null,
  kvCacheUsage: null,
  lastError: null,
  reportedAt: null,
});

const BREAKER_SEVERITY: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** Folds every worker's report into one status per node name. */
export function aggregateNodeReports(
  reports: readonly WorkerNodeReport[],
): Map<string, AggregatedNodeStatus> {
  const byName = new Map<string, AggregatedNodeStatus>();
  const errorAt = new Map<string, number>();
  for (const report of reports) {
    const seen = new Set<string>();
    for (const node of report.nodes) {
      // A worker counts once per node, even if its report repeats one.
      if (seen.has(node.name)) continue;
      seen.add(node.name);
      const current = byName.get(node.name) ?? { ...NO_REPORT };
      const healthy =
        current.healthy === true || node.healthy === true
          ? true
          : current.healthy === false || node.healthy === false
            ? false
            : null;
      const breaker =
        current.breaker === null || BREAKER_SEVERITY[node.breaker] > BREAKER_SEVERITY[current.breaker]
          ? node.breaker
          : current.breaker;
      let lastError = current.lastError;
      if (node.lastError !== null && report.at.getTime() >= (errorAt.get(node.name) ?? -Infinity)) {
        lastError = node.lastError;
        errorAt.set(node.name, report.at.getTime());
      }
      byName.set(node.name, {
        workersReporting: current.workersReporting + 1,
        healthy,
        breaker,
        outstanding: current.outstanding + node.outstanding,
        running: maxOf(current.running, node.running),
        waiting: maxOf(current.waiting, node.waiting),
        kvCacheUsage: maxOf(current.kvCacheUsage, node.kvCacheUsage),
        lastError,
        reportedAt:
          current.reportedAt === null || report.at > current.reportedAt ? report.at : current.reportedAt,
      });
    }
  }
  return byName;
}

/**
 * The nodes workers take from their own VLLM_NODES, as the most recent report defines each. The
 * API process need not have the same VLLM_NODES (or any): these are what it lists for them.
 */
export function reportedConfigNodes(
  reports: readonly WorkerNodeReport[],
): Map<string, ReportedDefinition & { name: string }> {
  const latest = new Map<string, { at: number; node: ReportedDefinition & { name: string } }>();
  for (const report of reports) {
    for (const node of report.nodes) {
      if (node.definition?.source !== 'config') continue;
      const seen = latest.get(node.name);
      if (seen && seen.at > report.at.getTime()) continue;
      latest.set(node.name, { at: report.at.getTime(), node: { name: node.name, ...node.definition } });
    }
  }
  return new Map([...latest].map(([name, { node }]) => [name, node]));
}
