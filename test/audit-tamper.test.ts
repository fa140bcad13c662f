import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { anchorChainHeads, AnchorSigner } from '../src/audit/audit-anchors';
import { auditEventHash, canonicalAuditEncoding } from '../src/audit/audit-chain';
import { AuditChainService } from '../src/audit/audit-chain.service';
import { recordAudit } from '../src/audit/audit-log';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture, uniqueSlug } from './support/tenant-fixture';

/**
 * Someone with write access to the database, and nothing else, rewrites the audit chain: the
 * changes are found by a verifier that holds what the database does not (the MAC keys, the signed
 * anchors in the frame store), and an auditor checks an anchor without Vigil.
 */
const OPERATOR = { kind: 'operator' as const, id: null };
const K1 = { id: 'k1', secret: '1'.repeat(40) };
const K2 = { id: 'k2', secret: '2'.repeat(40) };
const MAC_KEYS = `${K1.id}=${K1.secret},${K2.id}=${K2.secret}`;
const ANCHOR_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const EVERY_MS = 15 * 60_000;

type Row = Awaited<ReturnType<TestApi['prisma']['auditEvent']['findMany']>>[number];

describe('a rewritten audit chain', () => {
  let api: TestApi;
  let frames: string;
  let signer: AnchorSigner;

  beforeAll(async () => {
    frames = await mkdtemp(path.join(tmpdir(), 'vigil-anchors-'));
    api = await startTestApi({
      AUDIT_MAC_KEYS: MAC_KEYS,
      // One line with \n, as an environment file holds it.
      AUDIT_ANCHOR_PRIVATE_KEY: ANCHOR_KEY.replace(/\n/g, '\\n'),
      FRAME_STORE_DIR: frames,
    });
    signer = new AnchorSigner(ANCHOR_KEY);
  }, 60_000);
  afterAll(async () => {
    await api.stop();
    await rm(frames, { recursive: true, force: true });
  });

  const verify = (tenantId: string) => api.services.auditChain.verify(tenantDb(api.prisma, tenantId));
  const chainOf = (tenantId: string) =>
    api.prisma.auditEvent.findMany({ where: { tenantId }, orderBy: { chainIndex: 'asc' } });
  const anchor = (now = new Date()) =>
    anchorChainHeads(api.prisma, api.services.windows.store, signer, { everyMs: EVERY_MS, lockDays: 0, now });

  async function appendEvents(prisma: TestApi['prisma'], tenantId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await tenantDb(prisma, tenantId).$transaction((tx) =>
        recordAudit(
          tx,
          { tenantId, ...OPERATOR },
          { action: 'test.event', entityType: 'Test', entityId: String(i), data: { i } },
        ),
      );
    }
  }

  async function fixtureWithEvents(prefix: string, extra = 6): Promise<TenantFixture> {
    const fixture = await createTenantFixture(api, prefix);
    await appendEvents(api.prisma, fixture.tenantId, extra);
    return fixture;
  }

  /** As a database superuser would: the append-only trigger skipped. */
  async function tamper(sql: string, ...params: unknown[]): Promise<void> {
    await api.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL session_replication_role = replica');
      await tx.$executeRawUnsafe(sql, ...params);
    });
  }

  /**
   * Rewrites the chain from `from` on with plain sha256 (all anyone without the key can compute):
   * event `from` gets new data, every later event a new link and hash; `dropKeys` also clears the
   * events' key ids, as if they had never been keyed.
   */
  async function rewrite(tenantId: string, from: number, dropKeys: boolean): Promise<Row[]> {
    const chain = await chainOf(tenantId);
    let prevHash = from === 1 ? null : chain[from - 2]!.hash;
    for (const row of chain.slice(from - 1)) {
      const data = row.chainIndex === from ? { forged: true } : row.data;
      const macKeyId = dropKeys ? null : row.macKeyId;
      const hash = auditEventHash({ ...row, chainIndex: row.chainIndex!, prevHash, data, macKeyId: null });
      await tamper(
        `UPDATE "AuditEvent" SET "data" = $2::jsonb, "prevHash" = $3, "hash" = $4, "macKeyId" = $5 WHERE "id" = $1::uuid`,
        row.id,
        JSON.stringify(data),
        prevHash,
        hash,
        macKeyId,
      );
      prevHash = hash;
    }
    return chain;
  }

  it('keys every event with the newest MAC key and records which; verification says it is keyed', async () => {
    const f = await fixtureWithEvents('keyed', 2);
    const chain = await chainOf(f.tenantId);
    expect(chain.length).toBeGreaterThan(3);
    for (const row of chain) {
      expect(row.macKeyId).toBe('k2');
      const encoding = canonicalAuditEncoding({ ...row, chainIndex: row.chainIndex! });
      expect(encoding).toContain('"macKeyId":"k2"');
      expect(row.hash).toBe(createHmac('sha256', K2.secret).update(encoding).digest('hex'));
    }
    const response = await api.gql<{ verifyAuditChain: Record<string, unknown> }>(
      '{ verifyAuditChain { ok keyed unkeyedEvents eventsChecked } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(response.data!.verifyAuditChain).toEqual({
      ok: true,
      keyed: true,
      unkeyedEvents: 0,
      eventsChecked: chain.length,
    });
    const events = await api.gql<{ auditEvents: { edges: { node: { macKeyId: string } }[] } }>(
      '{ auditEvents(first: 1) { edges { node { macKeyId } } } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(events.data!.auditEvents.edges[0]!.node.macKeyId).toBe('k2');
  });

  it('is found when event 3 is edited and every later hash recomputed with plain sha256', async () => {
    const kept = await fixtureWithEvents('rewrite');
    const chain = await rewrite(kept.tenantId, 3, false);
    expect(await verify(kept.tenantId)).toMatchObject({
      ok: false,
      firstBrokenChainIndex: 3,
      firstBrokenEventId: chain[2]!.id,
      reason: 'event content does not match its hash (HMAC-SHA256, key "k2")',
    });
    // The same with the key ids dropped from event 3 on: an unkeyed event after keyed ones.
    const dropped = await fixtureWithEvents('downgrade');
    const droppedChain = await rewrite(dropped.tenantId, 3, true);
    expect(await verify(dropped.tenantId)).toMatchObject({
      ok: false,
      firstBrokenChainIndex: 3,
      firstBrokenEventId: droppedChain[2]!.id,
      reason: expect.stringMatching(/^unkeyed event after keyed ones/),
    });
  });

  it('verifies events hashed before a key existed as they were, across a key rotation', async () => {
    const url = loadConfig().DATABASE_URL;
    const plain = createPrismaClient(url);
    const firstKey = createPrismaClient(url, { auditMacKeys: [K1] });
    try {
      const tenantId = (
        await api.prisma.tenant.create({ data: { slug: uniqueSlug('rotated'), name: 'rotated' } })
      ).id;
      await appendEvents(plain, tenantId, 3);
      await appendEvents(firstKey, tenantId, 2);
      await appendEvents(api.prisma, tenantId, 2);
      expect((await chainOf(tenantId)).map((row) => row.macKeyId)).toEqual([
        null,
        null,
        null,
        'k1',
        'k1',
        'k2',
        'k2',
      ]);
      expect(await verify(tenantId)).toMatchObject({
        ok: true,
        keyed: true,
        unkeyedEvents: 3,
        eventsChecked: 7,
      });

      const onlyNewest = new AuditChainService({ prisma: api.prisma, macKeys: [K2], anchors: null });
      expect(await onlyNewest.verify(tenantDb(api.prisma, tenantId))).toMatchObject({
        ok: false,
        firstBrokenChainIndex: 4,
        reason: 'event hashed with MAC key "k1", which this verifier does not hold (AUDIT_MAC_KEYS)',
      });
      // A verifier without keys says so plainly rather than pretend.
      const unkeyed = new AuditChainService({ prisma: api.prisma, macKeys: [], anchors: null });
      const plainTenant = (
        await api.prisma.tenant.create({ data: { slug: uniqueSlug('plain'), name: 'plain' } })
      ).id;
      await appendEvents(plain, plainTenant, 2);
      expect(await unkeyed.verify(tenantDb(api.prisma, plainTenant))).toMatchObject({
        ok: true,
        keyed: false,
        unkeyedEvents: 2,
      });
      expect(await verify(plainTenant)).toMatchObject({ ok: true, keyed: false, unkeyedEvents: 2 });
    } finally {
      await Promise.all([plain.$disconnect(), firstKey.$disconnect()]);
    }
  });

  it('anchors chain heads as they move, signed so an auditor can check them with the public key alone', async () => {
    const f = await fixtureWithEvents('anchored', 3);
    const other = await fixtureWithEvents('anchored-other', 1);
    const start = new Date();
    expect((await anchor(start)).anchored).toBeGreaterThanOrEqual(2);
    const head = (await chainOf(f.tenantId)).at(-1)!;
    // Nothing moved, or not long enough ago: no new anchor.
    await anchor(new Date(start.getTime() + 60_000));
    await appendEvents(api.prisma, f.tenantId, 1);
    await anchor(new Date(start.getTime() + 120_000));
    expect(await api.prisma.auditAnchor.count({ where: { tenantId: f.tenantId } })).toBe(1);
    await anchor(new Date(start.getTime() + EVERY_MS + 1_000));
    const anchors = await api.prisma.auditAnchor.findMany({
      where: { tenantId: f.tenantId },
      orderBy: { chainIndex: 'asc' },
    });
    expect(anchors.map((row) => row.chainIndex)).toEqual([head.chainIndex, head.chainIndex! + 1]);

    type Listed = {
      chainIndex: number;
      hash: string;
      signature: string;
      signedMessage: string;
      storeKey: string;
      keyId: string;
    };
    const listed = await api.gql<{
      auditAnchors: { edges: { node: Listed }[] };
      auditAnchorKey: { keyId: string; algorithm: string; publicKeyPem: string };
    }>(
      '{ auditAnchors(first: 10) { edges { node { chainIndex hash signature signedMessage storeKey keyId algorithm signedAt } } } auditAnchorKey { keyId algorithm publicKeyPem } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(listed.errors).toBeUndefined();
    const nodes = listed.data!.auditAnchors.edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.chainIndex)).toEqual([head.chainIndex! + 1, head.chainIndex]);
    const key = listed.data!.auditAnchorKey;
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: nodes[0]!.keyId });

    // The auditor's check, without Vigil: node's crypto, then openssl and jq on the stored object.
    const newest = nodes[0]!;
    expect(
      verifySignature(
        null,
        Buffer.from(newest.signedMessage),
        createPublicKey(key.publicKeyPem),
        Buffer.from(newest.signature, 'base64'),
      ),
    ).toBe(true);
    const object = path.join(frames, newest.storeKey);
    const work = await mkdtemp(path.join(tmpdir(), 'vigil-auditor-'));
    try {
      await writeFile(path.join(work, 'anchor-public.pem'), key.publicKeyPem);
      const shell = (script: string) => execFileSync('sh', ['-c', script], { cwd: work, encoding: 'utf8' });
      shell(
        `jq -cjS 'del(.signature)' '${object}' > message && jq -r .signature '${object}' | base64 -d > signature`,
      );
      expect(await readFile(path.join(work, 'message'), 'utf8')).toBe(newest.signedMessage);
      expect(
        shell(
          'openssl pkeyutl -verify -pubin -inkey anchor-public.pem -rawin -in message -sigfile signature',
        ),
      ).toMatch(/Signature Verified Successfully/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }

    // Another tenant's anchors are its own.
    const others = await api.gql<{ auditAnchors: { edges: { node: Listed }[] } }>(
      '{ auditAnchors(first: 10) { edges { node { storeKey } } } }',
      {},
      other.sessions.AUDITOR,
    );
    expect(
      others
        .data!.auditAnchors.edges.map((edge) => edge.node.storeKey)
        .some((storeKey) => storeKey.includes(f.tenantId)),
    ).toBe(false);
    expect(errorCodes(await api.gql('{ auditAnchorKey { keyId } }', {}, f.sessions.MODERATOR))).toEqual([
      'FORBIDDEN',
    ]);

    const verified = await verify(f.tenantId);
    expect(verified).toMatchObject({ ok: true, keyed: true, anchorsChecked: 2 });
  });

  it('is found by the anchors when the whole chain is rewritten without keys, truncated, or an anchor is changed', async () => {
    const rewritten = await fixtureWithEvents('anchored-rewrite', 4);
    const truncated = await fixtureWithEvents('anchored-truncate', 4);
    const forgedAnchor = await fixtureWithEvents('anchored-forged', 4);
    await anchor(new Date(Date.now() + 3 * EVERY_MS));
    const anchoredAt = async (tenantId: string) =>
      await api.prisma.auditAnchor.findFirstOrThrow({ where: { tenantId }, orderBy: { chainIndex: 'desc' } });

    // Every event rewritten from the first with plain sha256 and no key ids: links and hashes hold,
    // but the anchored index no longer has the signed hash.
    const anchorOfRewritten = await anchoredAt(rewritten.tenantId);
    const chain = await rewrite(rewritten.tenantId, 1, true);
    expect(await verify(rewritten.tenantId)).toMatchObject({
      ok: false,
      firstBrokenChainIndex: anchorOfRewritten.chainIndex,
      firstBrokenEventId: chain[anchorOfRewritten.chainIndex - 1]!.id,
      reason: expect.stringMatching(
        /^anchored hash differs: the event at chain index \d+ is not the one anchored/,
      ),
    });

    // The newest events deleted, the anchored one among them.
    const anchorOfTruncated = await anchoredAt(truncated.tenantId);
    await tamper(
      `DELETE FROM "AuditEvent" WHERE "tenantId" = $1::uuid AND "chainIndex" >= $2`,
      truncated.tenantId,
      anchorOfTruncated.chainIndex - 1,
    );
    expect(await verify(truncated.tenantId)).toMatchObject({
      ok: false,
      firstBrokenChainIndex: anchorOfTruncated.chainIndex - 1,
      firstBrokenEventId: null,
      reason: expect.stringMatching(
        new RegExp(
          `^chain truncated: an anchor signed at .* covers chain index ${anchorOfTruncated.chainIndex}, but the chain ends at ${anchorOfTruncated.chainIndex - 2}$`,
        ),
      ),
    });

    // An anchor object changed in the store.
    const anchorOfForged = await anchoredAt(forgedAnchor.tenantId);
    const file = path.join(frames, anchorOfForged.storeKey);
    const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...stored, hash: 'f'.repeat(64) }));
    expect(await verify(forgedAnchor.tenantId)).toMatchObject({
      ok: false,
      firstBrokenChainIndex: anchorOfForged.chainIndex,
      reason: `the anchor of chain index ${anchorOfForged.chainIndex} does not carry a valid signature: the anchor store was changed`,
    });
  });
});
