import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';
import { anchorKey, anchorPrefix, type FrameStore } from '../storage/frame-store';
import { latestChainedEvent } from './audit-chain';

/**
 * Anchors: every few minutes, the head of each tenant's audit chain (its index and hash) is signed
 * with an Ed25519 key held outside the database (AUDIT_ANCHOR_PRIVATE_KEY) and written to the frame
 * store, under S3 Object Lock when configured. Whoever rewrites the chain in the database cannot
 * make an anchored index carry another hash, nor sign an anchor for the rewrite; deleting the newest
 * events leaves an anchor beyond the chain's end. An auditor checks an anchor with the public key
 * alone (GraphQL auditAnchorKey): the signature is over the anchor's canonical JSON without
 * `signature` (RFC 8785: keys sorted, no whitespace).
 */
export const ANCHOR_ALGORITHM = 'Ed25519';

/** What is signed. */
export interface AuditAnchorFields {
  algorithm: typeof ANCHOR_ALGORITHM;
  tenantId: string;
  chainIndex: number;
  hash: string;
  /** ISO 8601, UTC, milliseconds. */
  signedAt: string;
  keyId: string;
}

/** An anchor as stored: its fields and the base64 Ed25519 signature over `anchorMessage` of them. */
export interface SignedAuditAnchor extends AuditAnchorFields {
  signature: string;
}

/** The exact text that is signed: the anchor without its signature, as RFC 8785 canonical JSON. */
export function anchorMessage(anchor: AuditAnchorFields): string {
  const { algorithm, tenantId, chainIndex, hash, signedAt, keyId } = anchor;
  return canonicalize({ algorithm, tenantId, chainIndex, hash, signedAt, keyId })!;
}

/** The fields signed for the chain head `head` under the key `keyId`. */
export function anchorFields(head: {
  tenantId: string;
  chainIndex: number;
  hash: string;
  signedAt: Date;
  keyId: string;
}): AuditAnchorFields {
  return {
    algorithm: ANCHOR_ALGORITHM,
    tenantId: head.tenantId,
    chainIndex: head.chainIndex,
    hash: head.hash,
    signedAt: head.signedAt.toISOString(),
    keyId: head.keyId,
  };
}

/** The bytes of the stored object: the signed anchor as canonical JSON. */
export function serializeAnchor(anchor: SignedAuditAnchor): Buffer {
  return Buffer.from(canonicalize({ ...anchor })!, 'utf8');
}

/** An anchor public key's id: the first 16 hex digits of the sha256 of its DER (SPKI) encoding. */
export function anchorKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Signs anchors with the deployment's Ed25519 key, and checks anchors signed by it. */
export class AnchorSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    if (this.privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 key');
    this.publicKey = createPublicKey(this.privateKey);
    this.publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = anchorKeyId(this.publicKey);
  }

  sign(head: { tenantId: string; chainIndex: number; hash: string; signedAt: Date }): SignedAuditAnchor {
    const fields = anchorFields({ ...head, keyId: this.keyId });
    const signature = sign(null, Buffer.from(anchorMessage(fields), 'utf8'), this.privateKey);
    return { ...fields, signature: signature.toString('base64') };
  }

  /** Whether this key signed exactly this anchor. */
  verify(anchor: SignedAuditAnchor): boolean {
    if (anchor.keyId !== this.keyId || anchor.algorithm !== ANCHOR_ALGORITHM) return false;
    return verify(
      null,
      Buffer.from(anchorMessage(anchor), 'utf8'),
      this.publicKey,
      Buffer.from(anchor.signature, 'base64'),
    );
  }
}

/** The deployment's anchor signer, or null when anchoring is not configured. */
export function anchorSignerFrom(config: Pick<AppConfig, 'AUDIT_ANCHOR_PRIVATE_KEY'>): AnchorSigner | null {
  return config.AUDIT_ANCHOR_PRIVATE_KEY ? new AnchorSigner(config.AUDIT_ANCHOR_PRIVATE_KEY) : null;
}

export interface AnchoringOptions {
  /** A tenant whose last anchor is younger than this is not anchored again yet. */
  everyMs: number;
  /** Days the anchor object is locked in the store (S3 Object Lock); 0: not locked. */
  lockDays: number;
  now?: Date;
}

/**
 * Anchors the head of every tenant's chain that moved since its last anchor, once that anchor is
 * `everyMs` old: signs it, writes the object to the store (locked when asked), then lists it in
 * PostgreSQL. Safe on several workers at once (one anchor per tenant and index). Answers how many
 * tenants were anchored now.
 */
export async function anchorChainHeads(
  prisma: PrismaClient,
  store: FrameStore,
  signer: AnchorSigner,
  options: AnchoringOptions,
): Promise<{ anchored: number }> {
  const now = options.now ?? new Date();
  const tenants = await prisma.tenant.findMany({ select: { id: true } });
  let anchored = 0;
  for (const { id: tenantId } of tenants) {
    const db = tenantDb(prisma, tenantId);
    const [head, last] = await Promise.all([
      latestChainedEvent(db),
      db.auditAnchor.findFirst({
        orderBy: { chainIndex: 'desc' },
        select: { chainIndex: true, signedAt: true },
      }),
    ]);
    if (!head?.chainIndex || !head.hash) continue;
    if (
      last &&
      (last.chainIndex >= head.chainIndex || now.getTime() - last.signedAt.getTime() < options.everyMs)
    )
      continue;
    const anchor = signer.sign({ tenantId, chainIndex: head.chainIndex, hash: head.hash, signedAt: now });
    const storeKey = anchorKey(tenantId, anchor.chainIndex);
    await store.put(
      storeKey,
      serializeAnchor(anchor),
      options.lockDays > 0 ? { retainUntil: new Date(now.getTime() + options.lockDays * 86_400_000) } : {},
    );
    try {
      await db.auditAnchor.create({
        data: {
          tenantId,
          chainIndex: anchor.chainIndex,
          hash: anchor.hash,
          signedAt: now,
          keyId: anchor.keyId,
          signature: anchor.signature,
          storeKey,
        },
      });
      anchored += 1;
    } catch (error) {
      // Another worker anchored this head at the same moment: its row stands.
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
    }
  }
  return { anchored };
}

/** What the store holds for a tenant: each anchor object, or null for one that is not an anchor. */
export interface StoredAnchor {
  storeKey: string;
  anchor: SignedAuditAnchor | null;
}

const READ_AT_ONCE = 16;

/** Reads every anchor object the store holds for a tenant, in chain order. */
export async function readStoredAnchors(store: FrameStore, tenantId: string): Promise<StoredAnchor[]> {
  const keys = await store.list(anchorPrefix(tenantId));
  const found: StoredAnchor[] = [];
  for (let start = 0; start < keys.length; start += READ_AT_ONCE) {
    const batch = keys.slice(start, start + READ_AT_ONCE);
    found.push(
      ...(await Promise.all(
        batch.map(async (storeKey) => ({ storeKey, anchor: parseAnchor(await store.get(storeKey)) })),
      )),
    );
  }
  return found;
}

function parseAnchor(bytes: Buffer): SignedAuditAnchor | null {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<SignedAuditAnchor>;
    const strings = ['algorithm', 'tenantId', 'hash', 'signedAt', 'keyId', 'signature'] as const;
    if (strings.some((name) => typeof value[name] !== 'string')) return null;
    if (!Number.isInteger(value.chainIndex)) return null;
    return value as SignedAuditAnchor;
  } catch {
    return null;
  }
}
