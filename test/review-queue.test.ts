import { randomBytes } from 'node:crypto';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { eventsSince } from '../src/pubsub/event-bus';
import { TOPICS } from '../src/pubsub/topics';
import { runReviewDeadlines } from '../src/workers/review-deadlines.processor';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';

/**
 * Review queues through the real API: atomic claims, leases, decisions, deadlines, and the audit
 * rows written with each change. Review items are written directly here, as the rules engine does.
 */
describe('review queues', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let secondModerator: string;
  let secondModeratorId: string;

  const item = `id status assigneeId claimExpiresAt decision reason notes decidedById incidentId streamId queue priority escalatedAt`;
  const claim = `mutation($id: ID!, $lease: Int) { claimReviewItem(reviewItemId: $id, leaseSeconds: $lease) { ${item} } }`;
  const decide = `mutation($id: ID!, $input: ReviewDecisionInput!) { decideReviewItem(reviewItemId: $id, input: $input) { ${item} } }`;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'review');
    const db = tenantDb(api.prisma, tenant.tenantId);
    const admin = {
      kind: 'user' as const,
      id: tenant.userIds.ADMIN,
      tenantId: tenant.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const user = await api.services.users.create(db, admin, {
      email: 'second-moderator@review.test',
      role: 'MODERATOR',
      password: PASSWORD,
    });
    secondModeratorId = user.user.id;
    const login = await api.gql<{ login: { token: string } }>(
      'mutation($input: LoginInput!) { login(input: $input) { token } }',
      { input: { tenantSlug: tenant.slug, email: 'second-moderator@review.test', password: PASSWORD } },
    );
    secondModerator = login.data!.login.token;
  }, 30_000);
  afterAll(async () => {
    await api.stop();
  });

  /** An incident with its review item, as the rules engine writes them. */
  async function newItem(
    options: { queue?: string; priority?: number; claimDueAt?: Date; decideDueAt?: Date } = {},
  ): Promise<string> {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const now = new Date();
    const incident = await db.incident.create({
      data: {
        tenantId: tenant.tenantId,
        streamId: tenant.ids.streamId,
        ruleId: tenant.ids.ruleId,
        startAt: now,
        endAt: now,
        lastFiredAt: now,
      },
    });
    const created = await db.reviewItem.create({
      data: {
        tenantId: tenant.tenantId,
        incidentId: incident.id,
        streamId: tenant.ids.streamId,
        queue: options.queue ?? `q-${randomBytes(3).toString('hex')}`,
        priority: options.priority ?? 50,
        claimDueAt: options.claimDueAt ?? new Date(Date.now() + 300_000),
        decideDueAt: options.decideDueAt ?? new Date(Date.now() + 900_000),
      },
    });
    return created.id;
  }

  const audits = (entityId: string) =>
    api.prisma.auditEvent.findMany({
      where: { tenantId: tenant.tenantId, entityId },
      orderBy: { createdAt: 'asc' },
    });

  it('lets exactly one of many simultaneous claims win, and audits it', async () => {
    const id = await newItem();
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.gql<{ claimReviewItem: { assigneeId: string } }>(
          claim,
          { id },
          i % 2 ? tenant.sessions.MODERATOR : secondModerator,
        ),
      ),
    );
    const winners = attempts.filter((response) => errorCodes(response).length === 0);
    expect(winners).toHaveLength(1);
    expect(attempts.flatMap(errorCodes).filter((code) => code !== 'CONFLICT')).toEqual([]);
    expect(new Set(attempts.flatMap(errorReasons))).toEqual(new Set(['CLAIMED_BY_OTHER']));
    const row = await api.prisma.reviewItem.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('CLAIMED');
    expect([tenant.userIds.MODERATOR, secondModeratorId]).toContain(row.assigneeId);
    expect(row.claimExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect((await audits(id)).map((event) => event.action)).toEqual(['reviewItem.claim']);
    // The claim is announced on the tenant's review-items channel, with a cursor.
    const events = await eventsSince(api.redis, TOPICS.reviewItems(tenant.tenantId), '0-0');
    expect(
      events.some((e) => (e.payload as { reviewItemId: string; type: string }).reviewItemId === id),
    ).toBe(true);
  });

  it('takes notes: null (the field is nullable) as no notes', async () => {
    const id = await newItem();
    expect(errorCodes(await api.gql(claim, { id }, tenant.sessions.MODERATOR))).toEqual([]);
    const decided = await api.gql<{ decideReviewItem: Record<string, unknown> }>(
      decide,
      { id, input: { decision: 'DISMISS', reason: 'nothing there', notes: null } },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(decided)).toEqual([]);
    expect(decided.data!.decideReviewItem).toMatchObject({ status: 'RESOLVED', notes: null });
  });

  it('decides once, by the moderator holding the claim; closes the incident; audits the decision', async () => {
    const id = await newItem();
    const input = { decision: 'CONFIRM_VIOLATION', reason: 'climbs the fence', notes: 'frame 3' };
    const unclaimed = await api.gql(decide, { id, input }, tenant.sessions.MODERATOR);
    expect(errorCodes(unclaimed)).toEqual(['CONFLICT']);
    expect(errorReasons(unclaimed)).toEqual(['NOT_CLAIMED']);
    expect(errorCodes(await api.gql(claim, { id }, tenant.sessions.MODERATOR))).toEqual([]);
    const byOther = await api.gql(decide, { id, input }, secondModerator);
    expect(errorCodes(byOther)).toEqual(['CONFLICT']);
    expect(errorReasons(byOther)).toEqual(['CLAIMED_BY_OTHER']);
    const decided = await api.gql<{ decideReviewItem: Record<string, unknown> }>(
      decide,
      { id, input },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(decided)).toEqual([]);
    expect(decided.data!.decideReviewItem).toMatchObject({
      status: 'RESOLVED',
      decision: 'CONFIRM_VIOLATION',
      reason: 'climbs the fence',
      notes: 'frame 3',
      decidedById: tenant.userIds.MODERATOR,
    });
    const twice = await api.gql(decide, { id, input }, tenant.sessions.MODERATOR);
    expect(errorCodes(twice)).toEqual(['CONFLICT']);
    expect(errorReasons(twice)).toEqual(['ALREADY_RESOLVED']);
    const lateClaim = await api.gql(claim, { id }, secondModerator);
    expect(errorCodes(lateClaim)).toEqual(['CONFLICT']);
    expect(errorReasons(lateClaim)).toEqual(['ALREADY_RESOLVED']);
    const row = await api.prisma.reviewItem.findUniqueOrThrow({ where: { id }, include: { incident: true } });
    expect(row.incident.status).toBe('CLOSED');
    const events = await audits(id);
    expect(events.map((event) => event.action)).toEqual(['reviewItem.claim', 'reviewItem.decide']);
    expect(events[1]!.data).toMatchObject({ decision: 'CONFIRM_VIOLATION', reason: 'climbs the fence' });
    expect(events[1]!.actorId).toBe(tenant.userIds.MODERATOR);
  });

  it('refuses bad decisions with a typed error naming the field', async () => {
    const id = await newItem();
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    const empty = await api.gql(
      decide,
      { id, input: { decision: 'DISMISS', reason: '   ' } },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(empty.errors![0]!.extensions)).toContain('reason');
    const lease = await api.gql(claim, { id: await newItem(), lease: 100_000 }, tenant.sessions.MODERATOR);
    expect(errorCodes(lease)).toEqual(['BAD_USER_INPUT']);
  });

  it('STOP_STREAM stops the stream and records a webhook for the partner', async () => {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const stream = await db.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name: `stop-${randomBytes(3).toString('hex')}`,
        sourceUrl: 'rtsp://camera.example.net/x',
        kind: 'RTSP',
        status: 'ACTIVE',
      },
    });
    const endpoint = await db.webhookEndpoint.create({
      data: {
        tenantId: tenant.tenantId,
        url: 'https://partner.example.net/hook',
        events: ['stream.stopped'],
        secretEncrypted: 'v1.x.y.z',
      },
    });
    const id = await newItem();
    await db.reviewItem.update({ where: { id }, data: { streamId: stream.id } });
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    const stopped = await api.gql(
      decide,
      { id, input: { decision: 'STOP_STREAM', reason: 'violent content' } },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(stopped)).toEqual([]);
    const after = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(after.status).toBe('STOPPED');
    expect(after.lastError).toContain('violent content');
    // Consoles following the stream hear of the stop.
    const statuses = await eventsSince(api.redis, TOPICS.streamStatus(tenant.tenantId), '0-0');
    expect(statuses.map((e) => e.payload)).toContainEqual({
      streamId: stream.id,
      status: 'STOPPED',
      lastError: 'stopped by a moderator: violent content',
    });
    const deliveries = await db.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ event: 'stream.stopped', eventKey: `stream.stopped:${id}` });
    expect(deliveries[0]!.payload).toMatchObject({
      streamId: stream.id,
      reviewItemId: id,
      reason: 'violent content',
    });
    await db.webhookEndpoint.delete({ where: { id: endpoint.id } });
  });

  it('holds, releases and renews only for the holder of the claim', async () => {
    const id = await newItem();
    const hold =
      'mutation($id: ID!) { holdReviewItem(reviewItemId: $id, reason: "waiting for the partner") { status } }';
    const release = 'mutation($id: ID!) { releaseReviewItem(reviewItemId: $id) { status assigneeId } }';
    const renew =
      'mutation($id: ID!) { renewReviewClaim(reviewItemId: $id, leaseSeconds: 600) { claimExpiresAt } }';
    await api.gql(claim, { id, lease: 30 }, tenant.sessions.MODERATOR);
    expect(errorCodes(await api.gql(renew, { id }, secondModerator))).toEqual(['CONFLICT']);
    const renewed = await api.gql<{ renewReviewClaim: { claimExpiresAt: string } }>(
      renew,
      { id },
      tenant.sessions.MODERATOR,
    );
    expect(new Date(renewed.data!.renewReviewClaim.claimExpiresAt).getTime()).toBeGreaterThan(
      Date.now() + 500_000,
    );
    expect(errorCodes(await api.gql(hold, { id }, secondModerator))).toEqual(['CONFLICT']);
    expect(
      (await api.gql<{ holdReviewItem: { status: string } }>(hold, { id }, tenant.sessions.MODERATOR)).data,
    ).toEqual({
      holdReviewItem: { status: 'HELD' },
    });
    // A held item can be claimed again, then released back to the queue.
    expect(errorCodes(await api.gql(claim, { id }, secondModerator))).toEqual([]);
    expect((await api.gql(release, { id }, secondModerator)).data).toEqual({
      releaseReviewItem: { status: 'OPEN', assigneeId: null },
    });
  });

  it('reassigns by an admin to a named moderator; a moderator cannot take what another holds', async () => {
    const id = await newItem();
    const reassign =
      'mutation($id: ID!, $user: ID!) { reassignReviewItem(reviewItemId: $id, userId: $user) { status assigneeId } }';
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    expect(errorCodes(await api.gql(reassign, { id, user: secondModeratorId }, secondModerator))).toEqual([
      'FORBIDDEN',
    ]);
    const moved = await api.gql(reassign, { id, user: secondModeratorId }, tenant.sessions.ADMIN);
    expect(moved.data).toEqual({ reassignReviewItem: { status: 'CLAIMED', assigneeId: secondModeratorId } });
    expect(
      errorCodes(await api.gql(reassign, { id, user: tenant.userIds.AUDITOR }, tenant.sessions.ADMIN)),
    ).toEqual(['CONFLICT']);
    expect((await audits(id)).map((event) => event.action)).toEqual([
      'reviewItem.claim',
      'reviewItem.reassign',
    ]);
  });

  it('refuses auditors and API keys: claims belong to signed-in moderators', async () => {
    const id = await newItem();
    expect(errorCodes(await api.gql(claim, { id }, tenant.sessions.AUDITOR))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.gql(claim, { id }, tenant.apiKeys.MODERATOR))).toEqual(['FORBIDDEN']);
    // Auditors read items and their decisions.
    const read = await api.gql(
      'query($id: ID!) { reviewItem(reviewItemId: $id) { id status } }',
      { id },
      tenant.sessions.AUDITOR,
    );
    expect(errorCodes(read)).toEqual([]);
  });

  it('claims the most urgent item of a queue first', async () => {
    const queue = `urgent-${randomBytes(3).toString('hex')}`;
    const low = await newItem({ queue, priority: 10 });
    const high = await newItem({ queue, priority: 90 });
    const next = 'mutation($q: String!) { claimNextReviewItem(queue: $q) { id } }';
    expect((await api.gql(next, { q: queue }, tenant.sessions.MODERATOR)).data).toEqual({
      claimNextReviewItem: { id: high },
    });
    expect((await api.gql(next, { q: queue }, secondModerator)).data).toEqual({
      claimNextReviewItem: { id: low },
    });
    expect((await api.gql(next, { q: queue }, secondModerator)).data).toEqual({ claimNextReviewItem: null });
  });

  it('returns an expired claim to the queue and escalates late items, for a stream no longer live as its queue says', async () => {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const expired = await newItem();
    await api.gql(claim, { id: expired }, tenant.sessions.MODERATOR);
    await db.reviewItem.update({
      where: { id: expired },
      data: { claimExpiresAt: new Date(Date.now() - 1_000) },
    });
    const late = await newItem({ claimDueAt: new Date(Date.now() - 1_000) });
    const liveStream = await db.stream.findUniqueOrThrow({ where: { id: tenant.ids.streamId } });
    await db.stream.update({ where: { id: tenant.ids.streamId }, data: { status: 'ACTIVE' } });
    try {
      const report = await runReviewDeadlines(api.prisma, api.redis);
      expect(report.released).toBeGreaterThanOrEqual(1);
      expect(report.escalated).toBeGreaterThanOrEqual(1);
      expect(await db.reviewItem.findUniqueOrThrow({ where: { id: expired } })).toMatchObject({
        status: 'OPEN',
        assigneeId: null,
      });
      const escalated = await db.reviewItem.findUniqueOrThrow({ where: { id: late } });
      expect(escalated.status).toBe('ESCALATED');
      expect(escalated.escalatedAt).not.toBeNull();
      // Once, not every run.
      await runReviewDeadlines(api.prisma, api.redis);
      expect((await audits(late)).map((event) => event.action)).toEqual(['reviewItem.deadlineEscalated']);
      // The holder of an expired claim can no longer decide.
      expect(
        errorCodes(
          await api.gql(
            decide,
            { id: expired, input: { decision: 'DISMISS', reason: 'x' } },
            tenant.sessions.MODERATOR,
          ),
        ),
      ).toEqual(['CONFLICT']);
      // Once the stream is not live, late items follow their queue's policy: PAUSE waits, ESCALATE (the default) escalates.
      await db.stream.update({ where: { id: tenant.ids.streamId }, data: { status: 'STOPPED' } });
      await db.reviewQueue.create({
        data: { tenantId: tenant.tenantId, name: 'paused-q', whenStreamNotLive: 'PAUSE' },
      });
      const paused = await newItem({ queue: 'paused-q', claimDueAt: new Date(Date.now() - 1_000) });
      const escalates = await newItem({ claimDueAt: new Date(Date.now() - 1_000) });
      await runReviewDeadlines(api.prisma, api.redis);
      expect((await db.reviewItem.findUniqueOrThrow({ where: { id: paused } })).status).toBe('OPEN');
      expect((await db.reviewItem.findUniqueOrThrow({ where: { id: escalates } })).status).toBe('ESCALATED');
    } finally {
      await db.stream.update({ where: { id: tenant.ids.streamId }, data: { status: liveStream.status } });
    }
  });

  it('reopens an item a rule dismissed automatically, and only such an item', async () => {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const auto = await newItem();
    await db.reviewItem.update({
      where: { id: auto },
      data: { status: 'RESOLVED', decision: 'AUTO_DISMISS' },
    });
    const reopen = 'mutation($id: ID!) { reopenReviewItem(reviewItemId: $id) { status decision } }';
    expect((await api.gql(reopen, { id: auto }, tenant.sessions.MODERATOR)).data).toEqual({
      reopenReviewItem: { status: 'OPEN', decision: null },
    });
    const again = await api.gql(reopen, { id: auto }, tenant.sessions.MODERATOR);
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(errorReasons(again)).toEqual(['INVALID_TRANSITION']);
  });

  it('refuses a decision on a claim that ran out with reason CLAIM_EXPIRED, changing nothing', async () => {
    const id = await newItem();
    expect(errorCodes(await api.gql(claim, { id }, tenant.sessions.MODERATOR))).toEqual([]);
    await api.prisma.reviewItem.update({
      where: { id },
      data: { claimExpiresAt: new Date(Date.now() - 1_000) },
    });
    const input = { decision: 'DISMISS', reason: 'nothing there' };
    const late = await api.gql(decide, { id, input }, tenant.sessions.MODERATOR);
    expect(errorCodes(late)).toEqual(['CONFLICT']);
    expect(errorReasons(late)).toEqual(['CLAIM_EXPIRED']);
    const row = await api.prisma.reviewItem.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'CLAIMED', decision: null });
    expect((await audits(id)).map((event) => event.action)).toEqual(['reviewItem.claim']);
  });

  it('sets a queue’s service levels (admins only)', async () => {
    const set =
      'mutation($input: ReviewQueueInput!) { setReviewQueue(input: $input) { name claimWithinSeconds decideWithinSeconds } }';
    const input = { name: 'lawn', claimWithinSeconds: 60, decideWithinSeconds: 120 };
    expect(errorCodes(await api.gql(set, { input }, tenant.sessions.MODERATOR))).toEqual(['FORBIDDEN']);
    expect((await api.gql(set, { input }, tenant.sessions.ADMIN)).data).toEqual({ setReviewQueue: input });
    expect(
      errorCodes(await api.gql(set, { input: { ...input, claimWithinSeconds: 1 } }, tenant.sessions.ADMIN)),
    ).toEqual(['BAD_USER_INPUT']);
  });
});
