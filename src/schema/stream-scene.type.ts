import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

const LABELS = 'COCO labels the region applies to (as the local detector names them); empty for every label';
const SEVERITY =
  'low, medium, high or critical: how serious its events are; null for the event type’s default';
const DIRECTION =
  'to-left or to-right, looking from `from` to `to`: the only way one may cross (the other way is a wrong-way event); null for either way';

@ObjectType({ description: 'A point in fractions of the frame, 0 to 1, from its top left corner' })
export class ScenePoint {
  @Field(() => Float)
  x!: number;

  @Field(() => Float)
  y!: number;
}

@ObjectType({ description: 'An area of the scene: entering, leaving, loitering and crowds happen here' })
export class SceneZone {
  @Field(() => ID, { description: 'Stays the same across versions of the scene' })
  id!: string;

  @Field()
  name!: string;

  @Field(() => [ScenePoint], { description: 'The outline, 3 to 32 points in order' })
  polygon!: ScenePoint[];

  @Field(() => [String], { description: LABELS })
  labels!: string[];

  @Field(() => Int, {
    nullable: true,
    description: 'This many objects in the zone at once are a crowd; null for no crowd events',
  })
  crowdAt?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Staying longer than this many seconds is loitering; null for the analyser’s default',
  })
  dwellSeconds?: number;

  @Field(() => String, { nullable: true, description: SEVERITY })
  severity?: string;
}

@ObjectType({ description: 'A tripwire: crossing it is an event' })
export class SceneLine {
  @Field(() => ID, { description: 'Stays the same across versions of the scene' })
  id!: string;

  @Field()
  name!: string;

  @Field(() => ScenePoint)
  from!: ScenePoint;

  @Field(() => ScenePoint)
  to!: ScenePoint;

  @Field(() => [String], { description: LABELS })
  labels!: string[];

  @Field(() => String, { nullable: true, description: DIRECTION })
  allowedDirection?: string;

  @Field(() => String, { nullable: true, description: SEVERITY })
  severity?: string;
}

@ObjectType({
  description: 'One version of the zones and tripwires drawn on a stream; version 0 is the empty scene',
})
export class StreamScene {
  @Field(() => ID)
  streamId!: string;

  @Field(() => Int, { description: '1, 2, 3, … per stream, one per save; 0 while nothing is drawn' })
  version!: number;

  @Field(() => [SceneZone])
  zones!: SceneZone[];

  @Field(() => [SceneLine])
  lines!: SceneLine[];

  @Field(() => Date, { nullable: true, description: 'Null for version 0' })
  savedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'E-mail of the user who saved it; null for an API key, version 0 or a deleted user',
  })
  savedBy!: string | null;
}

@InputType()
export class ScenePointInput {
  @Field(() => Float)
  x!: number;

  @Field(() => Float)
  y!: number;
}

@InputType()
export class ZoneInput {
  @Field(() => ID, {
    nullable: true,
    description: 'The id of a zone of the stream’s scene, to keep it; omitted for a new zone',
  })
  id?: string | null;

  @Field({ description: '1 to 60 characters, unique among the stream’s zones and lines (any case)' })
  name!: string;

  @Field(() => [ScenePointInput], { description: 'The outline, 3 to 32 points in order' })
  polygon!: ScenePointInput[];

  @Field(() => [String], { nullable: true, description: LABELS })
  labels?: string[] | null;

  @Field(() => Int, { nullable: true, description: '2 to 100 objects at once make a crowd' })
  crowdAt?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 1 to 3600, after which staying is loitering' })
  dwellSeconds?: number | null;

  @Field(() => String, { nullable: true, description: SEVERITY })
  severity?: string | null;
}

@InputType()
export class LineInput {
  @Field(() => ID, {
    nullable: true,
    description: 'The id of a line of the stream’s scene, to keep it; omitted for a new line',
  })
  id?: string | null;

  @Field({ description: '1 to 60 characters, unique among the stream’s zones and lines (any case)' })
  name!: string;

  @Field(() => ScenePointInput)
  from!: ScenePointInput;

  @Field(() => ScenePointInput, { description: 'At least 1% of the frame away from `from`' })
  to!: ScenePointInput;

  @Field(() => [String], { nullable: true, description: LABELS })
  labels?: string[] | null;

  @Field(() => String, { nullable: true, description: DIRECTION })
  allowedDirection?: string | null;

  @Field(() => String, { nullable: true, description: SEVERITY })
  severity?: string | null;
}

@InputType({ description: 'The whole scene of a stream: what is not listed is removed' })
export class SaveStreamSceneInput {
  @Field(() => ID)
  streamId!: string;

  @Field(() => Int, {
    description:
      'The version the scene was edited from (Stream.scene.version); a save since then makes this a CONFLICT (STALE_VERSION)',
  })
  expectedVersion!: number;

  @Field(() => [ZoneInput])
  zones!: ZoneInput[];

  @Field(() => [LineInput])
  lines!: LineInput[];
}
