import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantTx } from '../db/tenant-scoped-db';
import type { Prisma, Stream } from '../generated/prisma/client';
import { redactSourceUrl } from '../media/source-url';

/** A new stream's settings, checked by the caller; it is created STOPPED. */
export type NewStreamRow = Omit<Prisma.StreamUncheckedCreateInput, 'tenantId' | 'status'>;

/*
 * The stream's settings (name, source, template, sampling): created, changed and deleted here,
 * each with its audit event in the caller's transaction. The audit never holds a source URL's
 * credentials.
 */

export async function insertStream(tx: TenantTx, actor: AuditActor, row: NewStreamRow): Promise<Stream> {
  const created = await tx.stream.create({ data: { ...row, tenantId: actor.tenantId } });
  await recordAudit(tx, actor, {
    action: 'stream.create',
    entityType: 'Stream',
    entityId: created.id,
    data: { name: created.name, sourceUrl: redactSourceUrl(created.sourceUrl), kind: created.kind },
  });
  return created;
}

/** Changes settings; `requested` is what the caller asked for, as the audit records it. */
export async function changeStreamSettings(
  tx: TenantTx,
  actor: AuditActor,
  streamId: string,
  changes: Omit<Prisma.StreamUncheckedUpdateInput, 'status' | 'tenantId'>,
  requested: Record<string, unknown>,
): Promise<Stream> {
  const updated = await tx.stream.update({ where: { id: streamId }, data: changes });
  const sourceUrl = typeof changes.sourceUrl === 'string' ? redactSourceUrl(changes.sourceUrl) : undefined;
  await recordAudit(tx, actor, {
    action: 'stream.update',
    entityType: 'Stream',
    entityId: streamId,
    data: { ...requested, sourceUrl } as Prisma.InputJsonValue,
  });
  return updated;
}

export async function deleteStream(tx: TenantTx, actor: AuditActor, streamId: string): Promise<void> {
  const deleted = await tx.stream.delete({ where: { id: streamId } });
  await recordAudit(tx, actor, {
    action: 'stream.delete',
    entityType: 'Stream',
    entityId: streamId,
    data: { name: deleted.name },
  });
}
