import type { ResultSchemaCompiler } from '../templates/result-schema-compiler';
import type { ReportPdfPool } from '../reports/report-pdf-pool';
import type { AuthService } from './auth.service';
import type { CredentialCache } from '../auth/credential-cache';
import type { RateLimitService } from './rate-limit.service';
import type { TenantService } from './tenant.service';
import type { UserService } from './user.service';
import type { ApiKeyService } from './api-key.service';
import type { StreamService } from './stream.service';
import type { PromptTemplateService } from './prompt-template.service';
import type { RuleService } from './rule.service';
import type { AuditService } from './audit.service';
import type { AuditChainService } from '../audit/audit-chain.service';
import type { AuditVerificationService } from './audit-verification.service';
import type { AuditAnchorService } from './audit-anchor.service';
import type { WindowService } from './window.service';
import type { AnalysisService } from './analysis.service';
import type { UsageService } from './usage.service';
import type { InferenceNodeService } from './inference-node.service';
import type { IncidentService } from './incident.service';
import type { WebhookService } from './webhook.service';
import type { ReviewService } from './review.service';
import type { PolicyReasonService } from './policy-reason.service';
import type { ReportService } from './report.service';
import type { EvidenceService } from './evidence.service';

/** Every domain service, built once per process by the composition root; resolvers, the API edge and the CLI reach the use cases through it. */
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
  /** Verifications of the audit chain as the API offers them: priced inline, or as jobs. */
  auditVerifications: AuditVerificationService;
  /** Signed anchors of the audit chain's head, and their public key. */
  auditAnchors: AuditAnchorService;
  windows: WindowService;
  analyses: AnalysisService;
  usage: UsageService;
  inferenceNodes: InferenceNodeService;
  incidents: IncidentService;
  webhooks: WebhookService;
  reviews: ReviewService;
  policyReasons: PolicyReasonService;
  reports: ReportService;
  /** Report PDFs rendered in a worker thread (started on first use), for downloads and evidence packages. */
  reportPdfs: ReportPdfPool;
  /** Tenants' result schemas compiled in a worker thread (started on first use). */
  resultSchemas: ResultSchemaCompiler;
  evidence: EvidenceService;
}
