import { graphql } from '../../api/graphql';

export const WebhookEndpointsQuery = graphql(`
  query AdminWebhookEndpoints {
    webhookEndpoints(first: 100) {
      edges {
        node {
          id
          url
          events
          enabled
          createdAt
          updatedAt
        }
      }
    }
  }
`);

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

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      secret
      webhookEndpoint {
        id
        url
      }
    }
  }
`);

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(webhookEndpointId: $id, input: $input) {
      id
      url
      events
      enabled
    }
  }
`);

export const RotateWebhookSecretMutation = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(webhookEndpointId: $id) {
      secret
      webhookEndpoint {
        id
        url
      }
    }
  }
`);

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
