import { graphql } from '../../api/graphql';

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
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
