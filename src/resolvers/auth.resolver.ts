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

  @Authorized(Permission.AUTHENTICATED)
  @Mutation(() => Boolean, { description: 'Ends the current session; false for API keys' })
  logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    const { services, actor } = authedContext(context);
    return services.auth.logout(actor);
  }

  @Authorized(Permission.AUTHENTICATED)
  @Query(() => User, { nullable: true, description: 'The logged-in user; null when called with an API key' })
  me(@Ctx() context: GraphQLContext): Promise<User | null> {
    const { services, actor, db } = authedContext(context);
    return actor.kind === 'user' ? services.users.get(db, actor.id) : Promise.resolve(null);
  }
}
