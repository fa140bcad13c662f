import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import type { Prisma, Stream } from '../generated/prisma/client';
import { conflict, type DomainError, ErrorReason, notFound } from '../errors/domain-error';
import { redactSourceUrl } from '../media/source-url';

/** A new stream's settings, checked by the caller; it is created STOPPED. */
export type NewStreamRow = Omit<Prisma.StreamUncheckedCreateInput, 'tenantId' | 'status'>;

/*
 * The stream's settings (name, source, template, sampling): created, changed and deleted here,
 * each with its audit event in the caller's transaction. The audit never holds a source URL's
 * credentials. Its status (archiving included) is stream-status.ts's.
 */

export async function insertStream(tx: TenantTx, actor: AuditActor, row: NewStreamRow): Promise<Stream> {
  const created = await tx.stream.create({
    data: { ...row, nameInUse: row.name, tenantId: actor.tenantId },
  });
  await recordAudit(tx, actor, {
    action: 'stream.create',
    entityType: 'Stream',
    entityId: created.id,
    data: { name: created.name, sourceUrl: redactSourceUrl(created.sourceUrl), kind: created.kind },
  });
  return created;
}

/**
 * Changes the settings of `current` (the stream as the caller read it in this transaction);
 * `requested` is what the caller asked for, as the audit records it.
 */
export async function changeStreamSettings(
  tx: TenantTx,
  actor: AuditActor,
  current: Pick<Stream, 'id' | 'archivedAt'>,
  changes: Omit<Prisma.StreamUncheckedUpdateInput, 'status' | 'tenantId' | 'nameInUse' | 'archivedAt'>,
  requested: Record<string, unknown>,
): Promise<Stream> {
  const streamId = current.id;
  // A new name is in use unless the stream is archived (archived streams hold no name).
  const nameInUse =
    typeof changes.name === 'string' && !current.archivedAt ? { nameInUse: changes.name } : {};
  const updated = await tx.stream.update({ where: { id: streamId }, data: { ...changes, ...nameInUse } });
  const sourceUrl = typeof changes.sourceUrl === 'string' ? redactSourceUrl(changes.sourceUrl) : undefined;
  await recordAudit(tx, actor, {
    action: 'stream.update',
    entityType: 'Stream',
    entityId: streamId,
    data: { ...requested, sourceUrl } as Prisma.InputJsonValue,
  });
  return updated;
}

/** Whether the stream has evidence: an incident (with its review item) or an analysis. */
export async function hasEvidence(tx: TenantDb | TenantTx, streamId: string): Promise<boolean> {
  const [incident, analysis] = await Promise.all([
    tx.incident.findFirst({ where: { streamId }, select: { id: true } }),
    tx.analysis.findFirst({ where: { streamId }, select: { id: true } }),
  ]);
  return !!incident || !!analysis;
}

export const streamHasEvidence = (): DomainError =>
  conflict(
    'This stream has evidence (incidents, review items or analyses) and cannot be deleted: archive it instead (archiveStream)',
    ErrorReason.STILL_REFERENCED,
  );

/**
 * Deletes a stream that has no evidence, with its frames, windows and scenes; a stream with
 * evidence is refused (archive it). The database refuses it too, so an analysis recorded after the
 * check still stops the delete. Its usage counters stay with the tenant's month and keep its name.
 * `actor` is the person who deleted it, or retention (action `stream.purged`) once the evidence of
 * an archived stream is gone.
 */
export async function deleteStream(
  tx: TenantTx,
  actor: AuditActor,
  streamId: string,
  action: 'stream.delete' | 'stream.purged' = 'stream.delete',
): Promise<void> {
  if (!(await tx.stream.findUnique({ where: { id: streamId }, select: { id: true } }))) {
    throw notFound('Stream');
  }
  if (await hasEvidence(tx, streamId)) throw streamHasEvidence();
  const deleted = await tx.stream.delete({ where: { id: streamId } });
  const usage = await tx.usageCounter.updateMany({ where: { streamId }, data: { streamName: deleted.name } });
  await recordAudit(tx, actor, {
    action,
    entityType: 'Stream',
    entityId: streamId,
    data: { name: deleted.name, usageMonthsKept: usage.count },
  });
}
