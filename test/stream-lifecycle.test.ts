import { randomUUID } from 'node:crypto';
import { BudgetPolicy } from '../src/analysis/budget-policy';
import { BudgetCache, tokensUsed, usageMonth } from '../src/analysis/usage-meter';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { createLogger } from '../src/logging/logger';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * A stream's life and what outlives it: usage stays with the tenant and the month, evidence keeps
 * an archived stream readable, and the active-stream quota counts every stream that holds or may
 * take a sampler.
 */

const operator = { kind: 'operator' as const, id: null };
const CREATE_STREAM = `mutation ($input: CreateStreamInput!) { createStream(input: $input) { id name status } }`;
const DELETE = 'mutation ($id: ID!) { deleteStream(streamId: $id) }';
const ARCHIVE = 'mutation ($id: ID!) { archiveStream(streamId: $id) { id name status archivedAt } }';
const START = 'mutation ($id: ID!) { startStream(streamId: $id) { id status } }';
const USAGE = `query ($month: String) { usage(month: $month) {
  tokenBudget tokensUsed budgetExhausted totals { promptTokens completionTokens windowsAnalysed }
  streams { streamId streamName streamDeleted promptTokens completionTokens } } }`;

type Usage = {
  tokenBudget: number;
  tokensUsed: number;
  budgetExhausted: boolean;
  totals: { promptTokens: number; completionTokens: number; windowsAnalysed: number };
  streams: {
    streamId: string;
    streamName: string;
    streamDeleted: boolean;
    promptTokens: number;
    completionTokens: number;
  }[];
};

describe('stream lifecycle', () => {
  let api: TestApi;

  const createStream = async (
    f: TenantFixture,
    name = `cam ${randomUUID().slice(0, 8)}`,
    start = false,
  ): Promise<string> => {
    const response = await api.gql<{ createStream: { id: string } }>(
      CREATE_STREAM,
      { input: { name, sourceUrl: 'rtsp://camera.example.net/live', start } },
      f.sessions.ADMIN,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.createStream.id;
  };

  beforeAll(async () => {
    api = await startTestApi();
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  describe('usage belongs to the tenant and the month', () => {
    it('keeps a deleted stream’s usage: the month’s total, the usage query and the worker’s budget check agree', async () => {
      const u = await createTenantFixture(api, 'usage-keep');
      await api.services.tenants.updateQuotas(operator, u.tenantId, { monthlyTokenBudget: 10_000 });
      const month = usageMonth();
      const db = tenantDb(api.prisma, u.tenantId);
      const streamId = await createStream(u, 'Loading dock');
      // The stream used most of the month's tokens, then was deleted (it has no evidence).
      await db.usageCounter.create({
        data: {
          tenantId: u.tenantId,
          streamId,
          month,
          windowsAnalysed: 40,
          promptTokens: 9_000n,
          completionTokens: 2_000n,
        },
      });
      const before = await api.gql<{ usage: Usage }>(USAGE, {}, u.sessions.ADMIN);
      expect(before.data!.usage).toMatchObject({ tokensUsed: 11_000 + 450 + 120, budgetExhausted: true });

      const deleted = await api.gql(DELETE, { id: streamId }, u.sessions.ADMIN);
      expect(deleted.errors).toBeUndefined();
      expect(await db.stream.findUnique({ where: { id: streamId } })).toBeNull();

      // Created again under the same name: a new stream, and the month's usage is what it was.
      const again = await createStream(u, 'Loading dock');
      expect(again).not.toBe(streamId);
      const after = await api.gql<{ usage: Usage }>(USAGE, {}, u.sessions.AUDITOR);
      expect(after.errors).toBeUndefined();
      expect(after.data!.usage).toMatchObject({
        tokensUsed: 11_000 + 450 + 120,
        budgetExhausted: true,
        totals: { promptTokens: 9_450, completionTokens: 2_120, windowsAnalysed: 41 },
      });
      expect(after.data!.usage.streams).toEqual([
        {
          streamId,
          streamName: 'Loading dock',
          streamDeleted: true,
          promptTokens: 9_000,
          completionTokens: 2_000,
        },
        {
          streamId: u.ids.streamId,
          streamName: 'Front lawn',
          streamDeleted: false,
          promptTokens: 450,
          completionTokens: 120,
        },
      ]);

      // The analysis worker's budget check sums the same rows: the GPU stays closed this month.
      expect(Number(await tokensUsed(api.prisma, u.tenantId, month))).toBe(after.data!.usage.tokensUsed);
      expect(await new BudgetCache(api.prisma, 0).exhausted(u.tenantId, 10_000n, month)).toBe(true);
      const policy = new BudgetPolicy(api.prisma, async () => undefined, createLogger('silent'));
      const allowed = await policy.allowsGpu(
        db,
        u.tenantId,
        { monthlyTokenBudget: 10_000n, budgetExhaustedMonth: null, overBudgetAction: 'LOCAL' },
        month,
      );
      expect(allowed).toBe(false);
    }, 30_000);
  });

  describe('a stream with evidence is archived, not deleted', () => {
    let a: TenantFixture;
    let b: TenantFixture;

    beforeAll(async () => {
      [a, b] = await Promise.all([createTenantFixture(api, 'arch-a'), createTenantFixture(api, 'arch-b')]);
    }, 60_000);

    it('refuses deleteStream on a stream with evidence (CONFLICT STILL_REFERENCED) and keeps everything', async () => {
      const db = tenantDb(api.prisma, a.tenantId);
      const refused = await api.gql(DELETE, { id: a.ids.streamId }, a.sessions.ADMIN);
      expect(errorCodes(refused)).toEqual(['CONFLICT']);
      expect(errorReasons(refused)).toEqual(['STILL_REFERENCED']);
      expect(refused.errors![0]!.message).toMatch(/archiveStream/);
      expect(await db.stream.findUnique({ where: { id: a.ids.streamId } })).not.toBeNull();
      expect(await db.incident.count({ where: { streamId: a.ids.streamId } })).toBe(1);
      expect(await db.reviewItem.count({ where: { streamId: a.ids.streamId } })).toBe(1);
      expect(await db.analysis.count({ where: { streamId: a.ids.streamId } })).toBe(1);
      expect(await db.auditEvent.count({ where: { action: 'stream.delete' } })).toBe(0);
      // The database refuses it too, whoever asks: evidence recorded after a check still stops a delete.
      await expect(api.prisma.stream.delete({ where: { id: a.ids.streamId } })).rejects.toMatchObject({
        code: 'P2003',
      });
    });

    it('archives it: no sampling, no start, out of the default list, readable by id and in reports', async () => {
      const db = tenantDb(api.prisma, a.tenantId);
      expect((await api.gql(START, { id: a.ids.streamId }, a.sessions.ADMIN)).errors).toBeUndefined();

      const lastEvent = await db.auditEvent.findFirstOrThrow({ orderBy: { chainIndex: 'desc' } });
      const archived = await api.gql<{
        archiveStream: { id: string; name: string; status: string; archivedAt: string };
      }>(ARCHIVE, { id: a.ids.streamId }, a.sessions.ADMIN);
      expect(archived.errors).toBeUndefined();
      expect(archived.data!.archiveStream).toMatchObject({
        id: a.ids.streamId,
        name: 'Front lawn',
        status: 'ARCHIVED',
      });
      expect(Date.parse(archived.data!.archiveStream.archivedAt)).toBeGreaterThan(Date.now() - 60_000);
      // One event, its own: stream.archive by the admin, on the stream.
      const events = await db.auditEvent.findMany({ where: { chainIndex: { gt: lastEvent.chainIndex! } } });
      expect(events.map((event) => [event.action, event.actorType, event.actorId, event.entityId])).toEqual([
        ['stream.archive', 'user', a.userIds.ADMIN, a.ids.streamId],
      ]);
      expect(events[0]!.data).toMatchObject({ from: 'ACTIVE', to: 'ARCHIVED' });

      // Nothing samples it (workers sample ACTIVE and ERROR streams) and nobody can start it again.
      const start = await api.gql(START, { id: a.ids.streamId }, a.sessions.MODERATOR);
      expect([errorCodes(start), errorReasons(start)]).toEqual([['CONFLICT'], ['INVALID_TRANSITION']]);
      const twice = await api.gql(ARCHIVE, { id: a.ids.streamId }, a.sessions.ADMIN);
      expect([errorCodes(twice), errorReasons(twice)]).toEqual([['CONFLICT'], ['INVALID_TRANSITION']]);

      const list = async (filter: string) =>
        (
          await api.gql<{ streams: { edges: { node: { id: string } }[] } }>(
            `{ streams(first: 100${filter}) { edges { node { id } } } }`,
            {},
            a.sessions.MODERATOR,
          )
        ).data!.streams.edges.map((edge) => edge.node.id);
      expect(await list('')).not.toContain(a.ids.streamId);
      expect(await list(', status: ARCHIVED')).toEqual([a.ids.streamId]);

      const byId = await api.gql<{ stream: { status: string } }>(
        'query ($id: ID!) { stream(streamId: $id) { status } }',
        { id: a.ids.streamId },
        a.sessions.AUDITOR,
      );
      expect(byId.data).toEqual({ stream: { status: 'ARCHIVED' } });
      const report = await api.gql<{ incidentReport: { stream: { id: string; name: string } } }>(
        'query ($id: ID!) { incidentReport(incidentId: $id) { stream { id name } } }',
        { id: a.ids.incidentId },
        a.sessions.AUDITOR,
      );
      expect(report.errors).toBeUndefined();
      expect(report.data!.incidentReport.stream).toEqual({ id: a.ids.streamId, name: 'Front lawn' });
      const analysisReport = await api.gql(
        'query ($id: ID!) { analysisReport(analysisId: $id) { analysis { id } } }',
        { id: a.ids.analysisId },
        a.sessions.AUDITOR,
      );
      expect(analysisReport.errors).toBeUndefined();

      // Its name is free for a new stream; the archived one keeps it in its reports.
      const successor = await createStream(a, 'Front lawn');
      expect(successor).not.toBe(a.ids.streamId);
      expect((await db.stream.findUniqueOrThrow({ where: { id: a.ids.streamId } })).name).toBe('Front lawn');
    });

    it('leaves an archived stream archived when a moderator decides to stop it', async () => {
      const db = tenantDb(api.prisma, a.tenantId);
      const claim = await api.gql(
        'mutation ($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }',
        { id: a.ids.reviewItemId },
        a.sessions.MODERATOR,
      );
      expect(claim.errors).toBeUndefined();
      const decided = await api.gql(
        `mutation ($id: ID!) { decideReviewItem(reviewItemId: $id,
          input: { decision: STOP_STREAM, reason: "Trespassing" }) { id status } }`,
        { id: a.ids.reviewItemId },
        a.sessions.MODERATOR,
      );
      expect(decided.errors).toBeUndefined();
      expect((await db.stream.findUniqueOrThrow({ where: { id: a.ids.streamId } })).status).toBe('ARCHIVED');
    });

    it('answers NOT_FOUND for another tenant’s stream, and FORBIDDEN to those who may not manage streams', async () => {
      const before = await api.prisma.stream.findUniqueOrThrow({ where: { id: b.ids.streamId } });
      for (const credential of [a.sessions.ADMIN, a.apiKeys.ADMIN]) {
        for (const mutation of [ARCHIVE, DELETE]) {
          expect(errorCodes(await api.gql(mutation, { id: b.ids.streamId }, credential))).toEqual([
            'NOT_FOUND',
          ]);
        }
      }
      expect(errorCodes(await api.gql(ARCHIVE, { id: randomUUID() }, a.sessions.ADMIN))).toEqual([
        'NOT_FOUND',
      ]);
      for (const credential of [b.sessions.MODERATOR, b.sessions.AUDITOR, b.apiKeys.MODERATOR]) {
        expect(errorCodes(await api.gql(ARCHIVE, { id: b.ids.streamId }, credential))).toEqual(['FORBIDDEN']);
      }
      expect(await api.prisma.stream.findUniqueOrThrow({ where: { id: b.ids.streamId } })).toEqual(before);
    });
  });

  describe('the active-stream quota', () => {
    it('counts streams in ERROR (retrying): they hold a sampler and come back ACTIVE on their own', async () => {
      const q = await createTenantFixture(api, 'quota-error');
      await api.services.tenants.updateQuotas(operator, q.tenantId, { maxActiveStreams: 1 });
      const failing = await createStream(q, 'Failing camera', true);
      // The worker sampling it reports a failed source: ERROR, retried with backoff.
      await api.prisma.stream.update({ where: { id: failing }, data: { status: 'ERROR' } });

      const other = await createStream(q);
      const refused = await api.gql(START, { id: other }, q.sessions.ADMIN);
      expect([errorCodes(refused), errorReasons(refused)]).toEqual([['CONFLICT'], ['QUOTA']]);
      const created = await api.gql(
        CREATE_STREAM,
        { input: { name: 'Started at once', sourceUrl: 'rtsp://camera.example.net/x' } },
        q.sessions.ADMIN,
      );
      expect([errorCodes(created), errorReasons(created)]).toEqual([['CONFLICT'], ['QUOTA']]);

      // A person may start the retrying stream itself: it takes no second place.
      const restarted = await api.gql<{ startStream: { status: string } }>(
        START,
        { id: failing },
        q.sessions.MODERATOR,
      );
      expect(restarted.errors).toBeUndefined();
      expect(restarted.data!.startStream.status).toBe('ACTIVE');
      expect(
        await api.prisma.stream.count({
          where: { tenantId: q.tenantId, status: { in: ['ACTIVE', 'ERROR'] } },
        }),
      ).toBe(1);
    });

    it('lets exactly one of many concurrent starts and creations win under a quota of 1', async () => {
      const q = await createTenantFixture(api, 'quota-race');
      await api.services.tenants.updateQuotas(operator, q.tenantId, { maxActiveStreams: 1 });
      for (let round = 0; round < 3; round += 1) {
        const ids = [];
        for (let i = 0; i < 4; i += 1) ids.push(await createStream(q));
        const credentials = [q.sessions.ADMIN, q.sessions.MODERATOR, q.apiKeys.ADMIN, q.apiKeys.MODERATOR];
        const responses = await Promise.all([
          ...ids.map((id, i) => api.gql(START, { id }, credentials[i])),
          ...[0, 1].map((i) =>
            api.gql(
              CREATE_STREAM,
              {
                input: {
                  name: `racing ${round} ${i} ${randomUUID().slice(0, 6)}`,
                  sourceUrl: 'rtsp://camera.example.net/race',
                },
              },
              q.sessions.ADMIN,
            ),
          ),
        ]);
        const outcomes = responses.map((response) => errorReasons(response)[0] ?? 'OK');
        expect({ round, won: outcomes.filter((outcome) => outcome === 'OK').length }).toEqual({
          round,
          won: 1,
        });
        expect(outcomes.filter((outcome) => outcome !== 'OK')).toEqual(Array(5).fill('QUOTA'));
        const live = await api.prisma.stream.findMany({
          where: { tenantId: q.tenantId, status: { in: ['ACTIVE', 'ERROR'] } },
        });
        expect(live).toHaveLength(1);
        await api.gql(
          'mutation ($id: ID!) { stopStream(streamId: $id) { id } }',
          { id: live[0]!.id },
          q.sessions.ADMIN,
        );
      }
    }, 60_000);
  });
});
