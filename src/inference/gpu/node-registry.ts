import { openSecret } from '../../auth/secret-box';
import type { AppConfig } from '../../config/config';
import type { PrismaClient } from '../../db/prisma-client';
import type { InferenceNode } from '../../generated/prisma/client';
import { NodeDefinition, parseConfiguredNodes } from '../../config/node-definition';

type NodeConfig = Pick<AppConfig, 'VLLM_NODES' | 'INFERENCE_NODE_KEY_SECRET'>;

/** A registered node the workers leave out, and why (shown to platform admins, logged by workers). */
export interface NodeRegistryProblem {
  name: string;
  problem: string;
}

/** VLLM_NODES parsed; the error names the variable, as a configuration error should. */
export function configuredNodes(config: Pick<AppConfig, 'VLLM_NODES'>): NodeDefinition[] {
  try {
    return parseConfiguredNodes(config.VLLM_NODES);
  } catch (error) {
    throw new Error(`Invalid configuration: VLLM_NODES: ${(error as Error).message}`);
  }
}

/**
 * Turns one InferenceNode row into a definition, or says why it cannot be used: a configured node
 * of the same name wins (VLLM_NODES is the operator's word), and a key that cannot be decrypted
 * with INFERENCE_NODE_KEY_SECRET (missing or changed secret, damaged value) would only make every
 * request fail with 401, so the node is left out instead.
 */
export function registeredNode(
  row: InferenceNode,
  configNames: ReadonlySet<string>,
  keySecret: string,
): { node: NodeDefinition } | NodeRegistryProblem {
  if (configNames.has(row.name)) {
    return { name: row.name, problem: 'a node in VLLM_NODES has the same name; workers use that one' };
  }
  let apiKey: string | null = null;
  if (row.apiKeyEncrypted) {
    if (!keySecret) {
      return {
        name: row.name,
        problem: 'its API key is stored encrypted but INFERENCE_NODE_KEY_SECRET is not set',
      };
    }
    try {
      apiKey = openSecret(row.apiKeyEncrypted, keySecret);
    } catch {
      return {
        name: row.name,
        problem: 'its API key cannot be decrypted with INFERENCE_NODE_KEY_SECRET (was the secret changed?)',
      };
    }
  }
  return {
    node: {
      name: row.name,
      url: row.url,
      apiKey,
      model: row.modelName,
      maxConcurrency: row.maxConcurrency,
      weight: row.weight,
      state: row.state,
      source: 'registry',
    },
  };
}

/** Every node the workers should use, and the registered ones they must skip. */
export async function loadNodeRegistry(
  prisma: PrismaClient,
  config: NodeConfig,
): Promise<{ nodes: NodeDefinition[]; problems: NodeRegistryProblem[] }> {
  const nodes = configuredNodes(config);
  const configNames = new Set(nodes.map((node) => node.name));
  const problems: NodeRegistryProblem[] = [];
  const rows = await prisma.inferenceNode.findMany({ orderBy: { name: 'asc' } });
  for (const row of rows) {
    const outcome = registeredNode(row, configNames, config.INFERENCE_NODE_KEY_SECRET);
    if ('node' in outcome) nodes.push(outcome.node);
    else problems.push(outcome);
  }
  return { nodes, problems };
}

/**
 * The node list a worker's pool uses: VLLM_NODES first, then the nodes registered through GraphQL
 * (their keys decrypted, their ACTIVE/DRAINING state kept, source 'registry'). A registered node
 * that cannot be used is skipped, not fatal: one bad row must not take every GPU node away. Each
 * skipped node is passed to `onProblems` (the worker logs them; platform admins see the same
 * reason as InferenceNodeInfo.problem). A malformed VLLM_NODES throws, naming the variable.
 */
export async function loadNodeDefinitions(
  prisma: PrismaClient,
  config: NodeConfig,
  onProblems?: (problems: NodeRegistryProblem[]) => void,
): Promise<NodeDefinition[]> {
  const { nodes, problems } = await loadNodeRegistry(prisma, config);
  if (problems.length) onProblems?.(problems);
  return nodes;
}
