import { graphql } from '../api/graphql';

/** What signing in answers, kept as the console's session: by login and by a password change. */
export const SessionFields = graphql(`
  fragment SessionFields on LoginPayload {
    token
    expiresAt
    passwordChangeRequired
    user {
      id
      email
      role
      isPlatformAdmin
    }
  }
`);

export const LoginMutation = graphql(
  `
    mutation Login($input: LoginInput!) {
      login(input: $input) {
        ...SessionFields
      }
    }
  `,
  [SessionFields],
);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);
