import type Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { CredentialCache } from '../auth/credential-cache';
import { RefusedCredentials } from '../auth/refused-credentials';
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
import { EvidenceService } from '../services/evidence.service';
import { IncidentClips } from '../evidence/incident-clip';
import { withIncidentEvidence } from '../evidence/incident-evidence-events';
import { ResultSchemaCompiler } from '../templates/result-schema-compiler';
import { ReportPdfPool } from '../reports/report-pdf-pool';
import { AuditVerificationLock } from '../audit/audit-verification-lock';
import { AuditVerificationService } from '../services/audit-verification.service';
import { AuditAnchorService } from '../services/audit-anchor.service';
import { anchorSignerFrom } from '../audit/audit-anchors';

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
  const reports = new ReportService((tenantId) => tenants.get(tenantId), windows.store);
  // One thread at most: a PDF is rendered off the event loop, one at a time per process.
  const reportPdfs = new ReportPdfPool({ threads: 1 });
  // Tenants' result schemas compile in a thread of their own (started on first use).
  const resultSchemas = new ResultSchemaCompiler();
  // The keys and the anchor signer come from the configuration, never from the database.
  const anchorSigner = anchorSignerFrom(deps.config);
  const auditChain = new AuditChainService({
    prisma: deps.prisma,
    macKeys: deps.config.AUDIT_MAC_KEYS,
    anchors: anchorSigner ? { store: windows.store, signer: anchorSigner } : null,
  });
  const clips = new IncidentClips(windows.store, {
    ffmpegPath: deps.config.FFMPEG_PATH,
    fontFile: deps.config.CLIP_FONT_FILE || undefined,
  });
  const apiKeys = new ApiKeyService(credentials);
  return {
    auth: new AuthService(
      deps.prisma,
      deps.config,
      rateLimits,
      credentials,
      new RefusedCredentials(deps.config.AUTH_NEGATIVE_CACHE_TTL_MS),
    ),
    credentials,
    rateLimits,
    tenants,
    users: new UserService(credentials, apiKeys),
    apiKeys,
    streams: new StreamService(
      deps.config,
      (tenantId) => tenants.get(tenantId),
      (channel, payload) => publishEvent(deps.redis, channel, payload),
    ),
    templates: new PromptTemplateService(vocabulary, (tenantId) => tenants.get(tenantId), resultSchemas),
    resultSchemas,
    rules: new RuleService(vocabulary),
    audit: new AuditService(),
    auditChain,
    auditAnchors: new AuditAnchorService(anchorSigner),
    auditVerifications: new AuditVerificationService({
      chain: auditChain,
      lock: new AuditVerificationLock(deps.redis),
      rateLimits,
      jobs: deps.jobs,
      config: deps.config,
    }),
    windows,
    analyses: new AnalysisService(deps.redis),
    usage: new UsageService(),
    inferenceNodes: new InferenceNodeService(deps.prisma, deps.redis, deps.config),
    incidents: new IncidentService(vocabulary),
    webhooks: new WebhookService(deps.config, deps.jobs),
    // A decision closes its incident: the clip is queued and partners get a signed link to it.
    reviews: new ReviewService(
      deps.redis,
      withIncidentEvidence(webhookEventSink(deps.prisma, deps.jobs), {
        jobs: deps.jobs,
        signer: deps.config.FRAME_URL_SECRET ? windows.signer : null,
        publicUrl: deps.config.PUBLIC_URL,
      }),
    ),
    reports,
    reportPdfs,
    evidence: new EvidenceService(
      clips,
      windows.signer,
      windows.store,
      reports,
      auditChain,
      async (db, report) => reportPdfs.render(report, await reports.frameImages(db, report)),
    ),
    policyReasons: new PolicyReasonService(),
  };
}
