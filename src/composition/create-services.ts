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
import { PolicyReasonService } from '../services/policy-reason.service';
import { ReviewService } from '../services/review.service';
import { RuleService } from '../services/rule.service';
import { StreamService } from '../services/stream.service';
import { TenantService } from '../services/tenant.service';
import { UsageService } from '../services/usage.service';
import { UserService } from '../services/user.service';
import { WindowService } from '../services/window.service';
import { WebhookService } from '../services/webhook.service';
import type { JobQueue } from '../jobs/job-queue';
import { webhookEventSink } from '../webhooks/webhook-events';
import { loadLabelVocabulary } from '../rules/label-vocabulary';
import type { Services } from '../services/service-set';

export type { Services } from '../services/service-set';

/**
 * The composition root of a process's domain: every service, built once from the process's
 * database client, Redis connection, configuration and job queues (each process has its own).
 */
export function createServices(deps: {
  prisma: PrismaClient;
  redis: Redis;
  config: AppConfig;
  jobs: JobQueue;
}): Services {
  const rateLimits = new RateLimitService(deps.redis, deps.config);
  const tenants = new TenantService(deps.prisma);
  const credentials = new CredentialCache(deps.redis, deps.config.AUTH_CACHE_TTL_MS);
  const windows = new WindowService(deps.config);
  const vocabulary = (tenantId: string) => loadLabelVocabulary(deps.prisma, tenantId);
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
    templates: new PromptTemplateService(vocabulary),
    rules: new RuleService(vocabulary),
    audit: new AuditService(),
    auditChain: new AuditChainService(),
    windows,
    analyses: new AnalysisService(deps.redis),
    usage: new UsageService(),
    inferenceNodes: new InferenceNodeService(deps.prisma, deps.redis, deps.config),
    incidents: new IncidentService(vocabulary),
    webhooks: new WebhookService(deps.config, deps.jobs),
    reviews: new ReviewService(deps.redis, webhookEventSink(deps.prisma, deps.jobs)),
    policyReasons: new PolicyReasonService(),
    reports: new ReportService((tenantId) => tenants.get(tenantId), windows.store),
  };
}
