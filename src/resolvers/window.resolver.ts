import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { Analysis } from '../schema/analysis.type';
import { Frame, Window } from '../schema/window.type';

@Resolver(() => Window)
export class WindowResolver {
  @Authorized(Permission.STREAMS_READ)
  @Query(() => Window)
  window(@Arg('windowId', () => ID) windowId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.get(db, windowId);
  }

  @Authorized(Permission.ANALYSES_READ)
  @FieldResolver(() => [Analysis], { description: 'Analyses of this window, newest first' })
  analyses(@Root() window: Window, @Ctx() context: GraphQLContext) {
    return authedContext(context).loaders.analysesByWindow.load(window.id);
  }

  @FieldResolver(() => [Frame], { description: 'In capture order' })
  frames(@Root() window: Window, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.framesOf(db, window);
  }
}
