import { graphql } from '../../api/graphql';

/** What the endpoints table shows of an endpoint; a save answers with it, so the cache stays whole. */
const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    events
    enabled
    createdAt
    updatedAt
  }
`);

/** A new signing secret (creation or rotation), shown once, with the endpoint it belongs to. */
const WebhookSecretFields = graphql(`
  fragment WebhookSecretFields on WebhookEndpointWithSecret {
    secret
    webhookEndpoint {
      id
      url
    }
  }
`);

export const WebhookEndpointsQuery = graphql(
  `
    query AdminWebhookEndpoints {
      webhookEndpoints(first: 100) {
        edges {
          node {
            ...WebhookEndpointFields
          }
        }
      }
    }
  `,
  [WebhookEndpointFields],
);

export const WebhookDeliveriesQuery = graphql(`
  query AdminWebhookDeliveries($status: WebhookDeliveryStatus) {
    webhookDeliveries(first: 50, status: $status) {
      edges {
        node {
          id
          webhookEndpointId
          event
          eventKey
          status
          attempts
          lastStatus
          lastError
          createdAt
          deliveredAt
          nextAttemptAt
        }
      }
    }
  }
`);

export const CreateWebhookEndpointMutation = graphql(
  `
    mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
      createWebhookEndpoint(input: $input) {
        ...WebhookSecretFields
      }
    }
  `,
  [WebhookSecretFields],
);

export const UpdateWebhookEndpointMutation = graphql(
  `
    mutation UpdateWebhookEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
      updateWebhookEndpoint(webhookEndpointId: $id, input: $input) {
        ...WebhookEndpointFields
      }
    }
  `,
  [WebhookEndpointFields],
);

export const RotateWebhookSecretMutation = graphql(
  `
    mutation RotateWebhookSecret($id: ID!) {
      rotateWebhookSecret(webhookEndpointId: $id) {
        ...WebhookSecretFields
      }
    }
  `,
  [WebhookSecretFields],
);

export const DeleteWebhookEndpointMutation = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(webhookEndpointId: $id)
  }
`);

export const RetryWebhookDeliveryMutation = graphql(`
  mutation RetryWebhookDelivery($id: ID!) {
    retryWebhookDelivery(webhookDeliveryId: $id) {
      id
      status
    }
  }
`);
