import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { StreamKind, StreamStatus } from './enums';

@ObjectType({ description: 'A live video source that Vigil samples and analyses' })
export class Stream {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'The source URL with any credentials masked' })
  sourceUrl!: string;

  @Field(() => StreamKind)
  kind!: StreamKind;

  @Field(() => StreamStatus)
  status!: StreamStatus;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Float, { description: 'Frames sampled per second (0.2 to 5)' })
  fps!: number;

  @Field(() => Int, { description: 'Longest side of a sampled frame in pixels (a multiple of 32)' })
  maxWidth!: number;

  @Field(() => Float, { description: 'Frames at least this similar (SSIM) to the last kept one are skipped' })
  ssimThreshold!: number;

  @Field(() => Int, { description: 'Frames per analysis window' })
  windowSize!: number;

  @Field(() => Int, { description: 'Frames between the starts of consecutive windows' })
  windowStride!: number;

  // Resolved by StreamResolver.template.
  templateId!: string | null;

  // Resolved by StreamResolver.scene.
  sceneVersion!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Frames per second actually passed on; below fps while the tenant’s analysis backlog is high',
  })
  effectiveFps!: number | null;

  @Field(() => Float, { nullable: true, description: 'File sources: percent of the duration processed' })
  progressPercent!: number | null;

  @Field(() => Int)
  framesSampled!: number;

  @Field(() => Int)
  framesKept!: number;

  @Field(() => Int, { description: 'Near-duplicates dedup did not keep' })
  framesSkipped!: number;

  @Field(() => Int)
  windowsQueued!: number;

  @Field(() => Int)
  windowsAnalysed!: number;

  @Field(() => Date, { nullable: true })
  lastFrameAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the stream was archived (status ARCHIVED: kept for its evidence, never sampled again)',
  })
  archivedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class StreamConnection extends Connection(Stream, 'Stream') {}

/** Sampling settings shared by create and update; omitted fields keep their default or value. */
@InputType()
abstract class StreamSamplingInput {
  @Field(() => Float, { nullable: true })
  fps?: number;

  @Field(() => Int, { nullable: true })
  maxWidth?: number;

  @Field(() => Float, { nullable: true })
  ssimThreshold?: number;

  @Field(() => Int, { nullable: true })
  windowSize?: number;

  @Field(() => Int, { nullable: true })
  windowStride?: number;
}

@InputType()
export class CreateStreamInput extends StreamSamplingInput {
  @Field()
  name!: string;

  @Field({
    description: 'rtsp://, rtsps://, http(s):// (progressive or HLS .m3u8); file:// if the operator allows',
  })
  sourceUrl!: string;

  @Field(() => StreamKind, { nullable: true, description: 'Inferred from the URL when omitted' })
  kind?: StreamKind;

  @Field(() => ID, {
    nullable: true,
    description:
      'Omitted: the tenant’s default template (Tenant.defaultTemplateId), else its oldest template, else none; null: no template (windows are not analysed)',
  })
  templateId?: string | null;

  @Field({
    nullable: true,
    defaultValue: true,
    description:
      'true (the default): the stream is created ACTIVE and sampling begins (within the active-stream quota: over it, CONFLICT and nothing is created); false: created STOPPED',
  })
  start?: boolean;
}

@InputType()
export class UpdateStreamInput extends StreamSamplingInput {
  @Field({ nullable: true })
  name?: string;

  @Field({ nullable: true })
  sourceUrl?: string;

  @Field(() => StreamKind, { nullable: true })
  kind?: StreamKind;

  @Field(() => ID, { nullable: true, description: 'null detaches the template' })
  templateId?: string | null;
}
