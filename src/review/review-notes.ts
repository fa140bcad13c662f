import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantDb } from '../db/tenant-scoped-db';
import type { ReviewNote } from '../generated/prisma/client';
import type { Reviewer } from './review-items';

/**
 * The owner of notes on review items: kept, never edited or deleted, each written with its audit
 * event. Notes are what moderators leave for each other (and auditors read) beside the one
 * decision an item gets.
 */
export class ReviewNotes {
  /** An item's notes, newest first. */
  list(db: TenantDb, reviewItemId: string): Promise<ReviewNote[]> {
    return db.reviewNote.findMany({
      where: { reviewItemId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
  }

  add(
    db: TenantDb,
    actor: AuditActor,
    author: Reviewer,
    reviewItemId: string,
    text: string,
  ): Promise<ReviewNote> {
    return db.$transaction(async (tx) => {
      const note = await tx.reviewNote.create({
        data: { tenantId: actor.tenantId, reviewItemId, authorType: author.kind, authorId: author.id, text },
      });
      await recordAudit(tx, actor, {
        action: 'reviewItem.note',
        entityType: 'ReviewItem',
        entityId: reviewItemId,
        data: { noteId: note.id, text },
      });
      return note;
    });
  }
}
