import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WindowStatus } from '../generated/prisma/enums';
import { Connection } from './connection.type';

registerEnumType(WindowStatus, {
  name: 'WindowStatus',
  description: 'QUEUED -> RUNNING -> DONE | FAILED | GATED (not sent to a GPU) | DEGRADED (local fallback)',
});

export { WindowStatus };

@ObjectType({ description: 'A frame that dedup kept' })
export class Frame {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'Position among all frames sampled from the stream, kept or skipped' })
  sequence!: number;

  @Field()
  capturedAt!: Date;

  @Field(() => Int)
  width!: number;

  @Field(() => Int)
  height!: number;

  @Field({ description: 'sha256 of the stored JPEG' })
  sha256!: string;

  @Field(() => Int, { description: 'Near-duplicate frames dedup skipped just before this one' })
  skippedBefore!: number;

  @Field({ description: 'Where to fetch the JPEG: a signed URL on this API, valid for 15 minutes' })
  url!: string;
}

@ObjectType({ description: 'Consecutive kept frames of a stream, analysed together' })
export class Window {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => Int)
  index!: number;

  @Field(() => WindowStatus)
  status!: WindowStatus;

  @Field()
  startAt!: Date;

  @Field()
  endAt!: Date;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  // Resolved by WindowResolver.frames.
  frameIds!: string[];

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class WindowConnection extends Connection(Window, 'Window') {}
