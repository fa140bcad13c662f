import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { InferenceMode } from './enums';

@ObjectType({ description: 'An immutable version of a prompt template' })
export class PromptTemplateVersion {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  templateId!: string;

  @Field(() => Int)
  version!: number;

  @Field({ description: 'Fixed text sent before the frames (kept byte-stable for the prefix cache)' })
  systemText!: string;

  @Field({ description: 'Text sent after the frames; may name {{variables}}' })
  instructionText!: string;

  @Field(() => GraphQLJSONObject, { description: 'JSON Schema the model output must satisfy' })
  resultSchema!: Record<string, unknown>;

  @Field(() => InferenceMode)
  mode!: InferenceMode;

  @Field()
  modelName!: string;

  @Field(() => Float)
  temperature!: number;

  @Field(() => Float)
  topP!: number;

  @Field(() => Int)
  topK!: number;

  @Field(() => Float)
  presencePenalty!: number;

  @Field(() => Int)
  maxCompletionTokens!: number;

  @Field(() => Int, { description: 'Cap on reasoning tokens (THINKING mode)' })
  thinkingTokenBudget!: number;

  @Field(() => [String], {
    description:
      'Local gate: COCO labels of which the detector must find one before a window goes to a GPU (none: no object gate)',
  })
  gateObjects!: string[];

  @Field({ description: 'Local gate: NSFW content found by the detector also sends a window to a GPU' })
  gateNsfw!: boolean;

  @Field(() => Float, { description: 'Lowest detector confidence for a gate label to count' })
  gateMinConfidence!: number;

  @Field({
    description: 'Analyse a window again on a GPU when it was analysed locally because no node was up',
  })
  reanalyseDegraded!: boolean;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class PromptTemplateVersionConnection extends Connection(
  PromptTemplateVersion,
  'PromptTemplateVersion',
) {}

@ObjectType()
export class PromptTemplate {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  // Resolved by PromptTemplateResolver.activeVersion.
  activeVersionId!: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class PromptTemplateConnection extends Connection(PromptTemplate, 'PromptTemplate') {}

@InputType()
export class PromptTemplateVersionInput {
  @Field()
  systemText!: string;

  @Field()
  instructionText!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Must define timestamp, objects, actions and anomalies; defaults to the standard result schema',
  })
  resultSchema?: Record<string, unknown>;

  @Field(() => InferenceMode, { nullable: true })
  mode?: InferenceMode;

  @Field({ nullable: true })
  modelName?: string;

  @Field(() => Float, { nullable: true, description: 'Defaults to the mode’s recommended value' })
  temperature?: number;

  @Field(() => Float, { nullable: true })
  topP?: number;

  @Field(() => Int, { nullable: true })
  topK?: number;

  @Field(() => Float, { nullable: true })
  presencePenalty?: number;

  @Field(() => Int, { nullable: true })
  maxCompletionTokens?: number;

  @Field(() => Int, { nullable: true })
  thinkingTokenBudget?: number;

  @Field(() => [String], {
    nullable: true,
    description: 'COCO labels for the local gate, at most 20 (default none: no object gate)',
  })
  gateObjects?: string[];

  @Field({ nullable: true, description: 'Default false' })
  gateNsfw?: boolean;

  @Field(() => Float, { nullable: true, description: '0 to 1 (default 0.5)' })
  gateMinConfidence?: number;

  @Field({ nullable: true, description: 'Default false' })
  reanalyseDegraded?: boolean;
}

@InputType()
export class CreatePromptTemplateInput {
  @Field()
  name!: string;

  @Field({ nullable: true })
  description?: string;

  @Field(() => PromptTemplateVersionInput, { description: 'The first version; it becomes active' })
  version!: PromptTemplateVersionInput;
}

@ObjectType({ description: 'A version rendered with sample variables, as the model would receive it' })
export class PromptPreview {
  @Field()
  systemText!: string;

  @Field()
  instructionText!: string;

  @Field(() => [String])
  variables!: string[];

  @Field(() => [String], {
    description: 'Variables Vigil fills itself for every window (streamName, policy) that the template uses',
  })
  filledByVigil!: string[];

  @Field({ description: 'The stream name {{streamName}} became: the chosen stream’s, or a sample' })
  streamName!: string;

  @Field(() => [String], {
    description: 'Variables the template uses that neither Vigil nor the caller filled',
  })
  missingVariables!: string[];

  @Field(() => [String], { description: 'Variables given that the template does not use' })
  unusedVariables!: string[];
}
