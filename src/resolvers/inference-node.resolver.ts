import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { InferenceNodeInfo, RegisterInferenceNodeInput } from '../schema/inference-node.type';

@Resolver(() => InferenceNodeInfo)
export class InferenceNodeResolver {
  @Authorized(Permission.PLATFORM_ADMIN)
  @Query(() => [InferenceNodeInfo], {
    description: 'Platform admins only: GPU nodes (VLLM_NODES and registered) with the workers’ view of each',
  })
  inferenceNodes(@Ctx() context: GraphQLContext) {
    return authedContext(context).services.inferenceNodes.list();
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => InferenceNodeInfo, {
    description: 'Platform admins only: adds a GPU node; workers start using it at once',
  })
  registerInferenceNode(@Arg('input') input: RegisterInferenceNodeInput, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.inferenceNodes.register(actor, input);
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => InferenceNodeInfo, {
    description: 'Platform admins only: the node finishes what it has and gets nothing new',
  })
  drainInferenceNode(@Arg('nodeId', () => ID) nodeId: string, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.inferenceNodes.setState(actor, nodeId, 'DRAINING');
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => InferenceNodeInfo, { description: 'Platform admins only: a drained node gets work again' })
  activateInferenceNode(@Arg('nodeId', () => ID) nodeId: string, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.inferenceNodes.setState(actor, nodeId, 'ACTIVE');
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => ID, {
    description:
      'Platform admins only: removes a registered node (requests in flight finish); returns its id',
  })
  removeInferenceNode(@Arg('nodeId', () => ID) nodeId: string, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.inferenceNodes.remove(actor, nodeId);
  }
}
