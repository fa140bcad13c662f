import { graphql } from '../api/graphql';

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
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
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);
