import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { InferenceNodeState } from './enums';

export enum InferenceNodeSource {
  CONFIG = 'CONFIG',
  REGISTRY = 'REGISTRY',
}

export enum NodeBreakerState {
  CLOSED = 'CLOSED',
  HALF_OPEN = 'HALF_OPEN',
  OPEN = 'OPEN',
}

registerEnumType(InferenceNodeSource, {
  name: 'InferenceNodeSource',
  description: 'CONFIG: from VLLM_NODES (change it there); REGISTRY: registered through this API',
});
registerEnumType(NodeBreakerState, {
  name: 'NodeBreakerState',
  description: 'A node’s circuit breaker: OPEN keeps it out until a HALF_OPEN probe succeeds',
});

@ObjectType({
  description:
    'A GPU node serving a vision-language model, with what the workers currently see of it (platform admins only)',
})
export class InferenceNodeInfo {
  @Field(() => ID, { description: 'The row id of a REGISTRY node; "config:<name>" for a CONFIG node' })
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Base URL of the node’s OpenAI-compatible API' })
  url!: string;

  @Field({ description: 'The served model name' })
  model!: string;

  @Field(() => Int, { description: 'Requests each worker sends the node at once' })
  maxConcurrency!: number;

  @Field(() => Float, { description: 'Share of the load relative to other nodes' })
  weight!: number;

  @Field(() => InferenceNodeState)
  state!: InferenceNodeState;

  @Field(() => InferenceNodeSource)
  source!: InferenceNodeSource;

  @Field({ description: 'Whether requests carry an API key (the key itself is never shown)' })
  hasApiKey!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'Why workers skip this registered node (its key cannot be decrypted, or a CONFIG node has its name); null when they use it',
  })
  problem!: string | null;

  @Field(() => Int, { description: 'Workers whose current report mentions the node' })
  workersReporting!: number;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true if any worker sees the node healthy; null when no worker reports it',
  })
  healthy!: boolean | null;

  @Field(() => NodeBreakerState, {
    nullable: true,
    description: 'The worst breaker state any worker reports (OPEN > HALF_OPEN > CLOSED)',
  })
  breaker!: NodeBreakerState | null;

  @Field(() => Int, { description: 'Requests in flight from all reporting workers together' })
  outstanding!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Requests the node runs (its own /metrics; highest report)',
  })
  running!: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests waiting in the node (highest report)' })
  waiting!: number | null;

  @Field(() => Float, { nullable: true, description: 'KV cache usage, 0 to 1 (highest report)' })
  kvCacheUsage!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'The last error of the most recent report that has one',
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the most recent report was written' })
  reportedAt!: Date | null;
}

@InputType()
export class RegisterInferenceNodeInput {
  @Field({ description: 'Lower-case letters, digits, dot, dash and underscore; unique across all nodes' })
  name!: string;

  @Field({
    description:
      'The vLLM server’s http(s) address, e.g. http://gpu-1:8000 (a trailing /v1 and slashes are accepted and removed: Vigil adds /v1/…), without credentials or query; on a private or public network (a node on the workers’ own machine belongs in VLLM_NODES)',
  })
  url!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Sent as a bearer token; stored encrypted (needs INFERENCE_NODE_KEY_SECRET), never shown',
  })
  apiKey?: string | null;

  @Field({ description: 'The served model name (vLLM’s --served-model-name)' })
  model!: string;

  @Field(() => Int, { nullable: true, description: '1 to 1024 (default 16)' })
  maxConcurrency?: number | null;

  @Field(() => Float, { nullable: true, description: 'Above 0, at most 1000 (default 1)' })
  weight?: number | null;
}
