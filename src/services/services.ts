import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { CredentialCache } from '../auth/credential-cache';
import { publishEvent } from '../pubsub/event-bus';
import { AnalysisService } from './analysis.service';
import { ApiKeyService } from './api-key.service';
import { AuditService } from './audit.service';
import { AuditChainService } from './audit-chain.service';
import { AuthService } from './auth.service';
import { IncidentService } from './incident.service';
import { InferenceNodeService } from './inference-node.service';
import { PromptTemplateService } from './prompt-template.service';
import { RateLimitService } from './rate-limit.service';
import { ReportService } from './report.service';
import { ReviewService } from './review.service';
import { RuleService } from './rule.service';
import { StreamService } from './stream.service';
import { TenantService } from './tenant.service';
import { UsageService } from './usage.service';
import { UserService } from './user.service';
import { WindowService } from './window.service';
import { WebhookService } from './webhook.service';
import { recordWebhookEvent, setWebhookQueue, type WebhookQueueLike } from '../webhooks/webhook-events';
import { type DeliverWebhookPayload, QUEUES } from '../workers/queues';

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
