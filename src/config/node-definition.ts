import { z } from 'zod';
import { AddressRules, checkHttpUrl, OUTBOUND_RULES, OutboundUrlError } from '../net/outbound-url-policy';

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

/**
 * A node's base URL (the base of /v1, or the /v1 URL itself: see normalizeNodeUrl): http(s), no credentials (the key is a field of its own), no
 * query, and a host the rules allow: the outbound URL policy, with the rules of configured nodes
 * (VLLM_NODES, the operator's word) or of nodes registered through the API.
 */
export function nodeUrlSchema(rules: AddressRules, loopbackHint = '') {
  return z
    .string()
    .max(2000)
    .superRefine((value, context) => {
      try {
        checkHttpUrl(value, { addresses: rules });
      } catch (error) {
        if (!(error instanceof OutboundUrlError)) throw error;
        const hint =
          error.refused === 'loopback' && loopbackHint
            ? ` (${loopbackHint})`
            : error.refused
              ? ''
              : ' (an http(s) URL such as http://gpu-1:8000 or http://gpu-1:8000/v1)';
        context.addIssue({ code: 'custom', message: `${error.message}${hint}` });
      }
    });
}

/**
 * A node URL as Vigil stores it: the server's base, to which the client adds /v1/…. vLLM and most
 * guides give the OpenAI base (…:8000/v1), so a trailing /v1 is accepted and removed with any
 * trailing slashes; without that, calls would go to /v1/v1/….
 */
export function normalizeNodeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v1$/i, '').replace(/\/+$/, '');
}

export const configuredNodeUrlSchema = nodeUrlSchema(OUTBOUND_RULES.configuredGpuNode);

export const registeredNodeUrlSchema = nodeUrlSchema(
  OUTBOUND_RULES.registeredGpuNode,
  "a node on the workers' own machine belongs in VLLM_NODES",
);

const configuredNodeSchema = z
  .object({
    name: nodeNameSchema,
    url: configuredNodeUrlSchema,
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
      url: normalizeNodeUrl(node.url),
      apiKey: node.apiKey ?? null,
      model: node.model,
      maxConcurrency: node.maxConcurrency,
      weight: node.weight,
      state: 'ACTIVE',
      source: 'config',
    };
  });
}
