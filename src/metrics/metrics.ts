import { Kind, type OperationDefinitionNode } from 'graphql';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, served on /metrics. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'vigil_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency, from parsing to response, by its root field (a schema name, never the client’s operation name)',
    labelNames: ['operation_type', 'root_field'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'vigil_graphql_errors_total',
    help: 'GraphQL errors returned, by extensions.code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vigil_' });
  }
}

/**
 * The label of an operation: its root field when it selects one (a name the schema fixes, so the
 * series stay bounded whatever clients send), "multiple" for several, "invalid" for a document
 * that did not validate. Client-chosen operation names never become labels.
 */
export function rootFieldLabel(operation: OperationDefinitionNode | undefined): string {
  if (!operation) return 'invalid';
  const selections = operation.selectionSet.selections;
  const only = selections.length === 1 ? selections[0] : undefined;
  return only?.kind === Kind.FIELD ? only.name.value : 'multiple';
}
