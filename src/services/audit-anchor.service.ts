import { anchorFields, anchorMessage, ANCHOR_ALGORITHM, type AnchorSigner } from '../audit/audit-anchors';
import type { TenantDb } from '../db/tenant-scoped-db';
import type { AuditAnchor } from '../generated/prisma/client';
import { type Connection, type PageArgs, paginate } from './pagination';

export interface AuditAnchorView extends AuditAnchor {
  algorithm: string;
  /** The exact text the signature is over. */
  signedMessage: string;
}

export interface AuditAnchorKeyView {
  keyId: string;
  algorithm: string;
  publicKeyPem: string;
}

/** The signed anchors of a tenant's audit chain, and the public key auditors check them with. */
export class AuditAnchorService {
  constructor(private readonly signer: AnchorSigner | null) {}

  /** The tenant's anchors, newest first, each with the message its signature is over. */
  async list(db: TenantDb, page: PageArgs): Promise<Connection<AuditAnchorView>> {
    const rows = await paginate(page, (query) => db.auditAnchor.findMany(query), 'desc');
    return {
      ...rows,
      edges: rows.edges.map((edge) => ({ ...edge, node: view(edge.node) })),
    };
  }

  /** The public key of the anchors this deployment signs; null when anchoring is off. */
  key(): AuditAnchorKeyView | null {
    if (!this.signer) return null;
    return { keyId: this.signer.keyId, algorithm: ANCHOR_ALGORITHM, publicKeyPem: this.signer.publicKeyPem };
  }
}

function view(row: AuditAnchor): AuditAnchorView {
  return { ...row, algorithm: ANCHOR_ALGORITHM, signedMessage: anchorMessage(anchorFields(row)) };
}
