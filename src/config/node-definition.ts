import { z } from 'zod';

/** A GPU node as the pool knows it: from VLLM_NODES or registered at run time. */
export interface NodeDefinition {
  name: string;
  url: string;
  apiKey: string | null;
  /** The served model name (vLLM's --served-model-name). */
  model: string;
  /** Requests this worker sends the node at once; the rest wait in Vigil's queue, not vLLM's. */
  maxConcurrency: number;
  weight: number;
  /** DRAINING: finishes what it has, gets nothing new. */
  state: 'ACTIVE' | 'DRAINING';
  source: 'config' | 'registry';
}

export const nodeNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash and underscore');

export const nodeUrlSchema = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.search;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials or query (the base of /v1)');

const configuredNodeSchema = z
  .object({
    name: nodeNameSchema,
    url: nodeUrlSchema,
    apiKey: z.string().min(1).nullish(),
    model: z.string().min(1).max(200),
    maxConcurrency: z.number().int().min(1).max(1024).default(16),
    weight: z.number().positive().max(1000).default(1),
  })
  .strict();

/** Parses VLLM_NODES; throws an Error whose message names the problem. */
export function parseConfiguredNodes(json: string): NodeDefinition[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON array of nodes');
  }
  const parsed = z.array(configuredNodeSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const names = new Set<string>();
  return parsed.data.map((node) => {
    if (names.has(node.name)) throw new Error(`node name "${node.name}" appears twice`);
    names.add(node.name);
    return {
      name: node.name,
      url: node.url.replace(/\/+$/, ''),
      apiKey: node.apiKey ?? null,
      model: node.model,
      maxConcurrency: node.maxConcurrency,
      weight: node.weight,
      state: 'ACTIVE',
      source: 'config',
    };
  });
}
