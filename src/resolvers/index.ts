import type { NonEmptyArray } from 'type-graphql';
import { AnalysisResolver } from './analysis.resolver';
import { ApiKeyResolver } from './api-key.resolver';
import { AuditEventResolver } from './audit-event.resolver';
import { AuditVerificationResolver } from './audit-verification.resolver';
import { AuditAnchorResolver } from './audit-anchor.resolver';
import { AuthResolver } from './auth.resolver';
import { IncidentFiringResolver, IncidentResolver } from './incident.resolver';
import { InferenceNodeResolver } from './inference-node.resolver';
import { PromptTemplateResolver } from './prompt-template.resolver';
import { ReportResolver } from './report.resolver';
import { PolicyReasonResolver } from './policy-reason.resolver';
import { ReviewNoteResolver, ReviewResolver } from './review.resolver';
import { RuleResolver } from './rule.resolver';
import { StreamResolver } from './stream.resolver';
import { SubscriptionResolver } from './subscription.resolver';
import { TenantResolver } from './tenant.resolver';
import { UsageResolver } from './usage.resolver';
import { UserResolver } from './user.resolver';
import { WebhookDeliveryResolver, WebhookEndpointResolver } from './webhook.resolver';
import { WindowResolver } from './window.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  AuthResolver,
  TenantResolver,
  UserResolver,
  ApiKeyResolver,
  StreamResolver,
  PromptTemplateResolver,
  RuleResolver,
  ReviewResolver,
  ReviewNoteResolver,
  PolicyReasonResolver,
  AuditEventResolver,
  AuditVerificationResolver,
  AuditAnchorResolver,
  WindowResolver,
  AnalysisResolver,
  UsageResolver,
  InferenceNodeResolver,
  IncidentResolver,
  IncidentFiringResolver,
  ReportResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
  SubscriptionResolver,
];
