import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { LoginInput, LoginPayload, User } from '../schema/user.type';

@Resolver()
export class AuthResolver {
  @Mutation(() => LoginPayload, { description: 'Exchanges e-mail and password for a session token' })
  login(@Arg('input') input: LoginInput, @Ctx() context: GraphQLContext): Promise<LoginPayload> {
    return context.services.auth.login(input, context.clientAddress);
  }

  @Authorized(Permission.OWN_SESSION)
  @Mutation(() => Boolean, { description: 'Ends the current session; false for API keys' })
  logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    const { services, actor } = authedContext(context);
    return services.auth.logout(actor);
  }

  @Authorized(Permission.OWN_SESSION)
  @Mutation(() => LoginPayload, {
    description:
      "Changes the logged-in user's password (the current one is checked; the new one is at least 12 characters). Every session of the user ends, this one included: the answer is a new session to continue with",
  })
  changePassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() context: GraphQLContext,
  ): Promise<LoginPayload> {
    const { services, actor } = authedContext(context);
    return services.auth.changePassword(actor, { currentPassword, newPassword }, context.clientAddress);
  }

  @Authorized(Permission.OWN_SESSION)
  @Query(() => User, { nullable: true, description: 'The logged-in user; null when called with an API key' })
  me(@Ctx() context: GraphQLContext): Promise<User | null> {
    const { services, actor, db } = authedContext(context);
    return actor.kind === 'user' ? services.users.get(db, actor.id) : Promise.resolve(null);
  }
}
