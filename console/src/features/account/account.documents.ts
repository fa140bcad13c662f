import { graphql } from '../../api/graphql';
import { SessionFields } from '../../auth/auth.documents';

export const ChangePasswordMutation = graphql(
  `
    mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
      changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
        ...SessionFields
      }
    }
  `,
  [SessionFields],
);
