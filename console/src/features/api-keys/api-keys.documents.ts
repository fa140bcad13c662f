import { graphql } from '../../api/graphql';

export const ApiKeysQuery = graphql(`
  query AdminApiKeys {
    apiKeys(first: 100) {
      edges {
        node {
          id
          name
          prefix
          role
          scopes
          createdAt
          lastUsedAt
          revokedAt
        }
      }
    }
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
        name
        prefix
        scopes
      }
    }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($apiKeyId: ID!) {
    revokeApiKey(apiKeyId: $apiKeyId) {
      id
      name
      revokedAt
    }
  }
`);
