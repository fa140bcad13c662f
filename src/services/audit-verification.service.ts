import type { Actor } from '../auth/permissions';
import type { AuditChainService, AuditChainVerification } from '../audit/audit-chain.service';
import type { AuditVerificationLock } from '../audit/audit-verification-lock';
import {
  type AuditVerificationRow,
  getVerification,
  recordVerification,
  unfinishedVerification,
} from '../audit/audit-verifications';
import type { AppConfig } from '../config/config';
import type { TenantDb } from '../db/tenant-scoped-db';
import { DomainError, ErrorCode, ErrorReason, rateLimited } from '../errors/domain-error';
import type { JobQueue } from '../jobs/job-queue';
import { requireId } from './input-schemas';
import { type Connection, type PageArgs, paginate } from './pagination';
import type { RateLimitService } from './rate-limit.service';

/** Verified events that count as one request against the caller's rate limit. */
export const VERIFIED_EVENTS_PER_REQUEST = 100;

/** How long a caller refused with VERIFICATION_RUNNING is told to wait. */
const RUNNING_RETRY_SECONDS = 5;

export interface AuditVerificationDeps {
  chain: AuditChainService;
  lock: AuditVerificationLock;
  rateLimits: Pick<RateLimitService, 'consumeApiKey' | 'consumeSession'>;
  jobs: JobQueue;
  config: Pick<AppConfig, 'AUDIT_VERIFY_INLINE_MAX_EVENTS'>;
}

/**
 * Verifying a tenant's audit chain costs in proportion to the chain: every event is read and hashed
 * again. Inline (`verifyAuditChain`) it is priced by the chain's length against the caller's rate
 * limit, refused past AUDIT_VERIFY_INLINE_MAX_EVENTS, and never runs beside another verification of
 * the same tenant. Longer chains are verified by a job (`startAuditChainVerification`) in a worker,
 * which records its progress.
 */
export class AuditVerificationService {
  constructor(private readonly deps: AuditVerificationDeps) {}

  async verifyInline(db: TenantDb, actor: Actor): Promise<AuditChainVerification> {
    const { chain, lock, config } = this.deps;
    const length = await chain.length(db);
    if (length > config.AUDIT_VERIFY_INLINE_MAX_EVENTS) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `The audit chain has ${length} events, more than the ${config.AUDIT_VERIFY_INLINE_MAX_EVENTS} verified inline: ` +
          'start a verification job with startAuditChainVerification and follow its progress',
        { reason: ErrorReason.AUDIT_CHAIN_TOO_LONG },
      );
    }
    await this.charge(actor, Math.ceil(length / VERIFIED_EVENTS_PER_REQUEST));
    const held = await lock.tryAcquire(actor.tenantId);
    if (!held)
      throw running('A verification of this tenant’s audit chain is running; try again when it ends');
    try {
      const job = await unfinishedVerification(db);
      if (job) {
        throw running(
          `A verification job of this tenant’s audit chain is ${job.status.toLowerCase()} (${job.id}); follow it with auditChainVerification`,
        );
      }
      return await chain.verify(db);
    } finally {
      await held.release();
    }
  }

  /**
   * Records a verification and queues its job, or answers the tenant's verification already queued
   * or running. The row is written first: if the job is lost, the reconciler queues it again.
   */
  async start(db: TenantDb, actor: Actor): Promise<AuditVerificationRow> {
    const { verification, created } = await recordVerification(db, { kind: actor.kind, id: actor.id }, () =>
      this.deps.chain.length(db),
    );
    if (created || verification.status === 'QUEUED') {
      await this.deps.jobs.add('verifyAuditChain', {
        tenantId: actor.tenantId,
        verificationId: verification.id,
      });
    }
    return verification;
  }

  get(db: TenantDb, verificationId: string): Promise<AuditVerificationRow> {
    return getVerification(db, requireId(verificationId, 'verificationId'));
  }

  /** The tenant's verifications, newest first. */
  list(db: TenantDb, page: PageArgs): Promise<Connection<AuditVerificationRow>> {
    return paginate(page, (query) => db.auditVerification.findMany(query), 'desc');
  }

  private charge(actor: Actor, requests: number): Promise<void> {
    if (requests <= 0) return Promise.resolve();
    return actor.kind === 'apiKey'
      ? this.deps.rateLimits.consumeApiKey(actor.id, requests)
      : this.deps.rateLimits.consumeSession(actor.sessionId ?? actor.id, requests);
  }
}

const running = (message: string): DomainError =>
  rateLimited(message, RUNNING_RETRY_SECONDS, ErrorReason.VERIFICATION_RUNNING);
