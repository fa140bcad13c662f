import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { CredentialCache } from '../auth/credential-cache';
import { publishEvent } from '../pubsub/event-bus';
import { AnalysisService } from '../services/analysis.service';
import { ApiKeyService } from '../services/api-key.service';
import { AuditService } from '../services/audit.service';
import { AuditChainService } from '../audit/audit-chain.service';
import { AuthService } from '../services/auth.service';
import { IncidentService } from '../services/incident.service';
import { InferenceNodeService } from '../services/inference-node.service';
import { PromptTemplateService } from '../services/prompt-template.service';
import { RateLimitService } from '../services/rate-limit.service';
import { ReportService } from '../services/report.service';
import { ReviewService } from '../services/review.service';
import { RuleService } from '../services/rule.service';
import { StreamService } from '../services/stream.service';
import { TenantService } from '../services/tenant.service';
import { UsageService } from '../services/usage.service';
import { UserService } from '../services/user.service';
import { WindowService } from '../services/window.service';
import { WebhookService } from '../services/webhook.service';
import { recordWebhookEvent, setWebhookQueue, type WebhookQueueLike } from '../webhooks/webhook-events';
import { type DeliverWebhookPayload, QUEUES } from '../jobs/job-registry';

/** Every domain service, built once per process from its dependencies. */
export interface Services {
  auth: AuthService;
  credentials: CredentialCache;
  rateLimits: RateLimitService;
  tenants: TenantService;
  users: UserService;
  apiKeys: ApiKeyService;
  streams: StreamService;
  templates: PromptTemplateService;
  rules: RuleService;
  audit: AuditService;
  auditChain: AuditChainService;
  windows: WindowService;
  analyses: AnalysisService;
  usage: UsageService;
  inferenceNodes: InferenceNodeService;
  incidents: IncidentService;
  webhooks: WebhookService;
  reviews: ReviewService;
  reports: ReportService;
}

export function createServices(deps: { prisma: PrismaClient; redis: Redis; config: AppConfig }): Services {
  const rateLimits = new RateLimitService(deps.redis, deps.config);
  const tenants = new TenantService(deps.prisma);
  const credentials = new CredentialCache(deps.redis, deps.config.AUTH_CACHE_TTL_MS);
  // Created on first use; recordWebhookEvent's 5-argument form (review decisions) uses it too.
  let bullQueue: Queue<DeliverWebhookPayload> | undefined;
  const webhookQueue: WebhookQueueLike = {
    add: (name, data, opts) =>
      (bullQueue ??= new Queue(QUEUES.webhooks, { connection: deps.redis })).add(name as never, data, opts),
  };
  setWebhookQueue(webhookQueue, {
    attempts: deps.config.WEBHOOK_MAX_ATTEMPTS,
    backoffMs: deps.config.WEBHOOK_BACKOFF_MS,
  });
  const windows = new WindowService(deps.config);
  return {
    auth: new AuthService(deps.prisma, deps.config, rateLimits, credentials),
    credentials,
    rateLimits,
    tenants,
    users: new UserService(credentials),
    apiKeys: new ApiKeyService(credentials),
    streams: new StreamService(
      deps.config,
      (tenantId) => tenants.get(tenantId),
      (channel, payload) => publishEvent(deps.redis, channel, payload),
    ),
    templates: new PromptTemplateService(),
    rules: new RuleService(),
    audit: new AuditService(),
    auditChain: new AuditChainService(),
    windows,
    analyses: new AnalysisService(deps.redis),
    usage: new UsageService(),
    inferenceNodes: new InferenceNodeService(deps.prisma, deps.redis, deps.config),
    incidents: new IncidentService(),
    webhooks: new WebhookService(deps.config, () => webhookQueue),
    reviews: new ReviewService(deps.prisma, deps.redis, recordWebhookEvent),
    reports: new ReportService((tenantId) => tenants.get(tenantId), windows.store),
  };
}
