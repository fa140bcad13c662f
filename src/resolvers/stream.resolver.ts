import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { Prisma } from '../generated/prisma/client';
import { authedContext, type GraphQLContext } from './graphql-context';
import { type ColumnPlan, selectedColumns } from './selected-columns';
import { Permission } from '../auth/permissions';
import { AnalysisConnection } from '../schema/analysis.type';
import { PageArgsInput } from '../schema/connection.type';
import { AnalysisStatus, StreamStatus } from '../schema/enums';
import { PromptTemplate } from '../schema/prompt-template.type';
import { CreateStreamInput, Stream, StreamConnection, UpdateStreamInput } from '../schema/stream.type';
import { SaveStreamSceneInput, StreamScene } from '../schema/stream-scene.type';
import { Frame, WindowConnection, WindowStatus } from '../schema/window.type';
import { analysisNotice } from '../services/usage.service';

/** What a Stream's fields read from its row: the field resolvers below, by name. */
export const STREAM_COLUMNS: ColumnPlan<Prisma.StreamScalarFieldEnum> = {
  columns: Prisma.StreamScalarFieldEnum,
  resolverNeeds: {
    scene: ['id', 'sceneVersion'],
    sceneAt: ['id'],
    latestFrame: ['id'],
    windows: ['id'],
    analyses: ['id'],
    analysisNotice: [],
    template: ['templateId'],
  },
  always: ['id'],
};

@Resolver(() => Stream)
export class StreamResolver {
  @Authorized(Permission.STREAMS_READ)
  @Query(() => StreamConnection)
  streams(
    @Args() page: PageArgsInput,
    @Arg('status', () => StreamStatus, {
      nullable: true,
      description: 'Only streams of this status; without it, every stream but the archived ones',
    })
    status: StreamStatus | null,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const { services, db } = authedContext(context);
    return services.streams.list(db, page, status, selectedColumns(info, ['edges', 'node'], STREAM_COLUMNS));
  }

  @Authorized(Permission.STREAMS_READ)
  @Query(() => Stream)
  stream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.streams.get(db, streamId);
  }

  @Authorized(Permission.STREAMS_MANAGE)
  @Mutation(() => Stream, { description: 'Registers a stream; it starts STOPPED' })
  createStream(@Arg('input') input: CreateStreamInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.create(db, actor, input);
  }

  @Authorized(Permission.STREAMS_MANAGE)
  @Mutation(() => Stream)
  updateStream(
    @Arg('streamId', () => ID) streamId: string,
    @Arg('input') input: UpdateStreamInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.streams.update(db, actor, streamId, input);
  }

  @Authorized(Permission.STREAMS_MANAGE)
  @Mutation(() => ID, {
    description:
      'Deletes a stream without evidence and returns its id; a stream with incidents, review items or analyses is refused as CONFLICT (STILL_REFERENCED): archive it with archiveStream',
  })
  deleteStream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.delete(db, actor, streamId);
  }

  @Authorized(Permission.STREAMS_MANAGE)
  @Mutation(() => Stream, {
    description:
      'Archives a stream: it stops being sampled, cannot be started again, leaves the default streams list (streams(status: ARCHIVED) lists it) and gives up its name; it stays readable by id and in reports, with its evidence, until the tenant’s retention purges them',
  })
  archiveStream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.archive(db, actor, streamId);
  }

  @Authorized(Permission.STREAMS_CONTROL)
  @Mutation(() => Stream)
  startStream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.transition(db, actor, streamId, 'start');
  }

  @Authorized(Permission.STREAMS_CONTROL)
  @Mutation(() => Stream)
  pauseStream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.transition(db, actor, streamId, 'pause');
  }

  @Authorized(Permission.STREAMS_CONTROL)
  @Mutation(() => Stream)
  stopStream(@Arg('streamId', () => ID) streamId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.transition(db, actor, streamId, 'stop');
  }

  @Authorized(Permission.STREAMS_MANAGE)
  @Mutation(() => StreamScene, {
    description:
      'Saves the stream’s zones and lines as its next scene version; refused as CONFLICT (STALE_VERSION) when another save came after expectedVersion',
  })
  saveStreamScene(@Arg('input') input: SaveStreamSceneInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.streams.saveScene(db, actor, input);
  }

  @FieldResolver(() => StreamScene, { description: 'The zones and lines the analyser applies now' })
  scene(@Root() stream: Stream, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.streams.scene(db, stream);
  }

  @FieldResolver(() => StreamScene, {
    nullable: true,
    description:
      'An earlier (or the current) version of the scene, e.g. the one an analysis recorded as its sceneVersion; null if there is no such version',
  })
  sceneAt(
    @Root() stream: Stream,
    @Arg('version', () => Int) version: number,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.streams.sceneAt(db, stream.id, version);
  }

  @FieldResolver(() => Frame, {
    nullable: true,
    description: 'The newest kept frame (a picture of the scene to draw zones on); null before the first',
  })
  latestFrame(@Root() stream: Stream, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.latestFrameOf(db, stream.id);
  }

  @FieldResolver(() => WindowConnection, { description: 'Analysis windows, oldest first' })
  windows(
    @Root() stream: Stream,
    @Args() page: PageArgsInput,
    @Arg('status', () => WindowStatus, { nullable: true }) status: WindowStatus | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.windows.listForStream(db, stream.id, page, status);
  }

  @Authorized(Permission.ANALYSES_READ)
  @FieldResolver(() => AnalysisConnection, { description: 'Analyses of the stream’s windows, newest first' })
  analyses(
    @Root() stream: Stream,
    @Args() page: PageArgsInput,
    @Arg('status', () => AnalysisStatus, { nullable: true }) status: AnalysisStatus | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.analyses.listForStream(db, stream.id, page, status);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'Why windows are not analysed by a GPU model as usual (the monthly token budget is used up); null normally',
  })
  async analysisNotice(@Ctx() context: GraphQLContext): Promise<string | null> {
    return analysisNotice(await authedContext(context).loaders.ownTenant());
  }

  @FieldResolver(() => PromptTemplate, { nullable: true })
  template(@Root() stream: Stream, @Ctx() context: GraphQLContext) {
    return stream.templateId ? authedContext(context).loaders.template.load(stream.templateId) : null;
  }
}
