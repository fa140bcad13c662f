import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import {
  CreateWebhookEndpointMutation,
  DeleteWebhookEndpointMutation,
  RetryWebhookDeliveryMutation,
  RotateWebhookSecretMutation,
  UpdateWebhookEndpointMutation,
  WebhookDeliveriesQuery,
  WebhookEndpointsQuery,
} from './webhooks.documents';

export type WebhookEndpoint = ResultOf<
  typeof WebhookEndpointsQuery
>['webhookEndpoints']['edges'][number]['node'];
export type WebhookDelivery = ResultOf<
  typeof WebhookDeliveriesQuery
>['webhookDeliveries']['edges'][number]['node'];
export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD';

export function useWebhookEndpoints() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhookEndpointsQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { endpoints: data?.webhookEndpoints.edges.map((edge) => edge.node), fetching, error, refresh };
}

/** Deliveries, newest first, of one status or all. */
export function useWebhookDeliveries(status: WebhookDeliveryStatus | null) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: WebhookDeliveriesQuery,
    variables: { status },
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { deliveries: data?.webhookDeliveries.edges.map((edge) => edge.node), fetching, error, refresh };
}

/** Adds an endpoint; the answer carries its signing secret, shown once. */
export function useCreateWebhookEndpoint(refresh?: () => void) {
  return useMutationToast(
    CreateWebhookEndpointMutation,
    'Endpoint created: copy its signing secret now',
    refresh,
  );
}

export function useUpdateWebhookEndpoint(refresh?: () => void) {
  return useMutationToast(UpdateWebhookEndpointMutation, 'Endpoint saved', refresh);
}

/** Replaces an endpoint's signing secret; the answer carries the new one, shown once. */
export function useRotateWebhookSecret() {
  return useMutationToast(RotateWebhookSecretMutation, 'New signing secret: the old one no longer works');
}

export function useDeleteWebhookEndpoint(refresh?: () => void) {
  return useMutationToast(DeleteWebhookEndpointMutation, 'Endpoint deleted', refresh);
}

/** Queues a dead delivery again with fresh attempts. */
export function useRetryWebhookDelivery(refresh?: () => void) {
  return useMutationToast(RetryWebhookDeliveryMutation, 'Delivery queued again', refresh);
}
