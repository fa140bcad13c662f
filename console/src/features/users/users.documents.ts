import { graphql } from '../../api/graphql';

export const UsersQuery = graphql(`
  query AdminUsers {
    users(first: 100) {
      edges {
        node {
          id
          email
          role
          isPlatformAdmin
          disabledAt
          passwordChangeRequired
          createdAt
        }
      }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      initialPassword
      user {
        id
        email
        role
      }
    }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateUser($userId: ID!, $input: UpdateUserInput!) {
    updateUser(userId: $userId, input: $input) {
      id
      email
      role
      disabledAt
    }
  }
`);

export const DeleteUserMutation = graphql(`
  mutation DeleteUser($userId: ID!) {
    deleteUser(userId: $userId)
  }
`);

export const ResetUserPasswordMutation = graphql(`
  mutation ResetUserPassword($userId: ID!) {
    resetUserPassword(userId: $userId) {
      temporaryPassword
      user {
        id
        email
        passwordChangeRequired
      }
    }
  }
`);
