import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { AnalysisMode, AnalysisStatus } from './enums';

@ObjectType({
  description:
    'One analysis of a window by one template version: the result, the model’s reasoning and what it cost',
})
export class Analysis {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  windowId!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => ID, { description: 'The prompt template version the window was analysed with' })
  templateVersionId!: string;

  @Field(() => AnalysisMode)
  mode!: AnalysisMode;

  @Field(() => AnalysisStatus)
  status!: AnalysisStatus;

  @Field(() => String, { nullable: true, description: 'The GPU node that answered; null for LOCAL' })
  nodeName!: string | null;

  @Field(() => String, { nullable: true, description: 'The model the node served' })
  model!: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'The structured result (objects, actions, anomalies, timestamp, …); null until DONE',
  })
  result!: unknown;

  @Field({
    description:
      'The model’s reasoning (THINKING models; empty for LOCAL analyses); while RUNNING, what the current attempt has produced so far',
  })
  reasoning!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the model stopped: stop, length, … (vLLM’s), or reasoning_cap / content_cap when Vigil stopped reading at INFERENCE_MAX_REASONING_CHARS / INFERENCE_MAX_ANSWER_CHARS',
  })
  finishReason!: string | null;

  @Field(() => Int)
  framesSent!: number;

  @Field(() => Int)
  visionTokens!: number;

  @Field(() => Int)
  promptTokens!: number;

  @Field(() => Int)
  completionTokens!: number;

  @Field(() => Int, { description: 'Part of completionTokens spent thinking' })
  reasoningTokens!: number;

  @Field({
    description:
      'Whether some of the token counts are Vigil’s estimate (image tokens exactly, text at about four characters a token) because a node did not report usage',
  })
  usageEstimated!: boolean;

  @Field(() => Int)
  latencyMs!: number;

  @Field(() => Int, { description: 'Requests made, retries on other nodes included' })
  attempts!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;
}

@ObjectType()
export class AnalysisConnection extends Connection(Analysis, 'Analysis') {}
