import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { PageArgsInput } from '../schema/connection.type';
import {
  CreateUserInput,
  CreateUserPayload,
  ResetUserPasswordPayload,
  UpdateUserInput,
  User,
  UserConnection,
} from '../schema/user.type';

@Resolver(() => User)
export class UserResolver {
  @Authorized(Permission.USERS_READ)
  @Query(() => UserConnection)
  users(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.users.list(db, page);
  }

  @Authorized(Permission.USERS_READ)
  @Query(() => User)
  user(@Arg('userId', () => ID) userId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.users.get(db, userId);
  }

  @Authorized(Permission.USERS_MANAGE)
  @Mutation(() => CreateUserPayload)
  createUser(@Arg('input') input: CreateUserInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.users.create(db, actor, input);
  }

  @Authorized(Permission.USERS_MANAGE)
  @Mutation(() => User)
  updateUser(
    @Arg('userId', () => ID) userId: string,
    @Arg('input') input: UpdateUserInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.users.update(db, actor, userId, input);
  }

  @Authorized(Permission.USERS_MANAGE)
  @Mutation(() => ResetUserPasswordPayload, {
    description:
      "Replaces a user's password with a temporary one, returned once; every session of the user ends, and the next login may only change the password",
  })
  resetUserPassword(@Arg('userId', () => ID) userId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.users.resetPassword(db, actor, userId);
  }

  @Authorized(Permission.USERS_MANAGE)
  @Mutation(() => ID, { description: 'Returns the id of the deleted user' })
  deleteUser(@Arg('userId', () => ID) userId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.users.delete(db, actor, userId);
  }
}
