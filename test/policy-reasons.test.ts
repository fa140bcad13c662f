import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * Policy reasons (the tenant's list moderators choose from) and notes on review items, through the
 * real API: input refused with typed codes, roles, another tenant's ids, and the audit rows.
 */
describe('policy reasons and review notes', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let other: TenantFixture;

  const fields = 'id label policy decisions archivedAt';
  const create = `mutation($input: PolicyReasonInput!) { createPolicyReason(input: $input) { ${fields} } }`;
  const update = `mutation($id: ID!, $input: PolicyReasonInput!) { updatePolicyReason(policyReasonId: $id, input: $input) { ${fields} } }`;
  const archive = `mutation($id: ID!) { archivePolicyReason(policyReasonId: $id) { ${fields} } }`;
  const list = `query($all: Boolean) { policyReasons(includeArchived: $all) { ${fields} } }`;
  const addNote = `mutation($id: ID!, $text: String!) { addReviewNote(reviewItemId: $id, text: $text) { id text authorType authorId authorName createdAt } }`;
  const notes = `query($id: ID!) { reviewNotes(reviewItemId: $id) { id text authorName authorType } }`;
  const claim = `mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }`;
  const decide = `mutation($id: ID!, $input: ReviewDecisionInput!) { decideReviewItem(reviewItemId: $id, input: $input) { id status reason policy policyReasonId } }`;

  beforeAll(async () => {
    api = await startTestApi();
    [tenant, other] = await Promise.all([
      createTenantFixture(api, 'reasons'),
      createTenantFixture(api, 'reasons-b'),
    ]);
  }, 60_000);
  afterAll(() => api.stop());

  const audits = (entityId: string) =>
    api.prisma.auditEvent.findMany({
      where: { tenantId: tenant.tenantId, entityId },
      orderBy: { createdAt: 'asc' },
    });

  async function newItem(): Promise<string> {
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
    const item = await db.reviewItem.create({
      data: {
        tenantId: tenant.tenantId,
        incidentId: incident.id,
        streamId: tenant.ids.streamId,
        queue: 'reasons',
        priority: 50,
      },
    });
    return item.id;
  }

  it('lets an admin create, change and archive a reason, each audited; every reviewing role reads the list', async () => {
    const created = await api.gql<{
      createPolicyReason: { id: string; decisions: string[]; policy: string };
    }>(
      create,
      {
        input: {
          label: '  Trespass on the lawn ',
          policy: 'Rules §3',
          decisions: ['STOP_STREAM', 'CONFIRM_VIOLATION'],
        },
      },
      tenant.sessions.ADMIN,
    );
    expect(errorCodes(created)).toEqual([]);
    const reason = created.data!.createPolicyReason;
    expect(reason).toMatchObject({
      label: 'Trespass on the lawn',
      decisions: ['CONFIRM_VIOLATION', 'STOP_STREAM'],
    });

    const changed = await api.gql<{ updatePolicyReason: { policy: string; label: string } }>(
      update,
      { id: reason.id, input: { policy: 'Rules §3.1' } },
      tenant.sessions.ADMIN,
    );
    expect(changed.data!.updatePolicyReason).toMatchObject({
      label: 'Trespass on the lawn',
      policy: 'Rules §3.1',
    });

    for (const role of ['ADMIN', 'MODERATOR', 'AUDITOR'] as const) {
      const listed = await api.gql<{ policyReasons: { id: string }[] }>(list, {}, tenant.sessions[role]);
      expect(listed.data!.policyReasons.map((row) => row.id)).toContain(reason.id);
    }

    const archived = await api.gql<{ archivePolicyReason: { archivedAt: string | null } }>(
      archive,
      { id: reason.id },
      tenant.sessions.ADMIN,
    );
    expect(archived.data!.archivePolicyReason.archivedAt).not.toBeNull();
    const live = await api.gql<{ policyReasons: { id: string }[] }>(list, {}, tenant.sessions.MODERATOR);
    expect(live.data!.policyReasons.map((row) => row.id)).not.toContain(reason.id);
    const all = await api.gql<{ policyReasons: { id: string }[] }>(
      list,
      { all: true },
      tenant.sessions.MODERATOR,
    );
    expect(all.data!.policyReasons.map((row) => row.id)).toContain(reason.id);

    // Archived: neither changed nor archived again.
    const again = await api.gql(archive, { id: reason.id }, tenant.sessions.ADMIN);
    expect([errorCodes(again), errorReasons(again)]).toEqual([['CONFLICT'], ['INVALID_TRANSITION']]);
    const late = await api.gql(update, { id: reason.id, input: { label: 'x' } }, tenant.sessions.ADMIN);
    expect(errorCodes(late)).toEqual(['CONFLICT']);

    expect((await audits(reason.id)).map((event) => [event.action, event.actorId])).toEqual([
      ['policyReason.create', tenant.userIds.ADMIN],
      ['policyReason.update', tenant.userIds.ADMIN],
      ['policyReason.archive', tenant.userIds.ADMIN],
    ]);
  });

  it('refuses bad input with typed codes and a duplicate label with CONFLICT', async () => {
    const cases: [unknown, string][] = [
      [{ label: '' }, 'BAD_USER_INPUT'],
      [{ label: '   ' }, 'BAD_USER_INPUT'],
      [{ label: 'x'.repeat(121) }, 'BAD_USER_INPUT'],
      [{}, 'BAD_USER_INPUT'],
      [{ label: 'ok', decisions: ['AUTO_DISMISS'] }, 'BAD_USER_INPUT'],
    ];
    for (const [input, code] of cases) {
      const response = await api.gql(create, { input }, tenant.sessions.ADMIN);
      expect({ input, codes: errorCodes(response) }).toEqual({ input, codes: [code] });
    }
    const first = await api.gql(create, { input: { label: 'Twice' } }, tenant.sessions.ADMIN);
    expect(errorCodes(first)).toEqual([]);
    const second = await api.gql(create, { input: { label: 'Twice' } }, tenant.sessions.ADMIN);
    expect([errorCodes(second), errorReasons(second)]).toEqual([['CONFLICT'], ['DUPLICATE']]);
    // The same label in another tenant is that tenant's own business.
    expect(errorCodes(await api.gql(create, { input: { label: 'Twice' } }, other.sessions.ADMIN))).toEqual(
      [],
    );
    const empty = await api.gql(update, { id: tenant.ids.policyReasonId, input: {} }, tenant.sessions.ADMIN);
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    const notAnId = await api.gql(archive, { id: 'nope' }, tenant.sessions.ADMIN);
    expect(errorCodes(notAnId)).toEqual(['BAD_USER_INPUT']);
  });

  it("keeps reasons to admins and to their tenant: other roles FORBIDDEN, another tenant's reason NOT_FOUND", async () => {
    for (const role of ['MODERATOR', 'AUDITOR'] as const) {
      const response = await api.gql(create, { input: { label: `by ${role}` } }, tenant.sessions[role]);
      expect({ role, codes: errorCodes(response) }).toEqual({ role, codes: ['FORBIDDEN'] });
    }
    const before = await api.prisma.policyReason.findUniqueOrThrow({
      where: { id: other.ids.policyReasonId },
    });
    for (const [query, variables] of [
      [update, { id: other.ids.policyReasonId, input: { label: 'taken over' } }],
      [archive, { id: other.ids.policyReasonId }],
    ] as const) {
      expect(errorCodes(await api.gql(query, variables, tenant.sessions.ADMIN))).toEqual(['NOT_FOUND']);
    }
    expect(
      await api.prisma.policyReason.findUniqueOrThrow({ where: { id: other.ids.policyReasonId } }),
    ).toEqual(before);
    // Deciding with another tenant's reason is NOT_FOUND too.
    const id = await newItem();
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    const decided = await api.gql(
      decide,
      { id, input: { decision: 'DISMISS', policyReasonId: other.ids.policyReasonId } },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(decided)).toEqual(['NOT_FOUND']);
  });

  it('copies the chosen reason’s label and policy onto the decided item; a reason for other decisions is refused', async () => {
    const created = await api.gql<{ createPolicyReason: { id: string } }>(
      create,
      { input: { label: 'Dismiss only', policy: 'Guide §1', decisions: ['DISMISS'] } },
      tenant.sessions.ADMIN,
    );
    const reasonId = created.data!.createPolicyReason.id;
    const id = await newItem();
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    const wrong = await api.gql(
      decide,
      { id, input: { decision: 'STOP_STREAM', policyReasonId: reasonId } },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    const decided = await api.gql<{ decideReviewItem: Record<string, unknown> }>(
      decide,
      { id, input: { decision: 'DISMISS', policyReasonId: reasonId } },
      tenant.sessions.MODERATOR,
    );
    expect(decided.data!.decideReviewItem).toEqual({
      id,
      status: 'RESOLVED',
      reason: 'Dismiss only',
      policy: 'Guide §1',
      policyReasonId: reasonId,
    });
  });

  it('keeps notes newest first with their author, from those who work reviews; audits each', async () => {
    const id = await newItem();
    const first = await api.gql<{ addReviewNote: { id: string; authorName: string } }>(
      addNote,
      { id, text: 'Person near the fence, not on the lawn' },
      tenant.sessions.MODERATOR,
    );
    expect(errorCodes(first)).toEqual([]);
    expect(first.data!.addReviewNote.authorName).toMatch(/@/);

    // An API key claims and decides only with the review scope; so it is for notes.
    const key = await api.gql(addNote, { id, text: 'from a key' }, tenant.apiKeys.MODERATOR);
    expect(errorCodes(key)).toEqual(['FORBIDDEN']);
    const byAdmin = await api.gql(
      addNote,
      { id, text: 'The second camera shows them leave' },
      tenant.sessions.ADMIN,
    );
    expect(errorCodes(byAdmin)).toEqual([]);
    const listed = await api.gql<{ reviewNotes: { text: string; authorName: string | null }[] }>(
      notes,
      { id },
      tenant.sessions.AUDITOR,
    );
    expect(listed.data!.reviewNotes.map((note) => note.text)).toEqual([
      'The second camera shows them leave',
      'Person near the fence, not on the lawn',
    ]);
    expect(listed.data!.reviewNotes.map((note) => note.authorName)).toEqual([
      'admin@' + tenant.slug + '.test',
      'moderator@' + tenant.slug + '.test',
    ]);
    expect((await audits(id)).map((event) => [event.action, event.actorId])).toEqual([
      ['reviewItem.note', tenant.userIds.MODERATOR],
      ['reviewItem.note', tenant.userIds.ADMIN],
    ]);
  });

  it('shows on queue rows who holds an item, its stream’s liveness and its first keyframe', async () => {
    const id = await newItem();
    await api.gql(claim, { id }, tenant.sessions.MODERATOR);
    const response = await api.gql<{
      reviewItem: { assigneeName: string | null; streamLive: boolean; thumbnail: { url: string } | null };
    }>(
      `query($id: ID!) { reviewItem(reviewItemId: $id) { assigneeName streamLive thumbnail { url } } }`,
      { id },
      tenant.sessions.AUDITOR,
    );
    expect(errorCodes(response)).toEqual([]);
    const stream = await api.prisma.stream.findUniqueOrThrow({ where: { id: tenant.ids.streamId } });
    expect(response.data!.reviewItem).toEqual({
      assigneeName: `moderator@${tenant.slug}.test`,
      streamLive: ['ACTIVE', 'PAUSED', 'ERROR'].includes(stream.status),
      // This incident was written without keyframes.
      thumbnail: null,
    });
    const fixtureItem = await api.gql<{ reviewItem: { thumbnail: { url: string } | null } }>(
      `query($id: ID!) { reviewItem(reviewItemId: $id) { thumbnail { url } } }`,
      { id: tenant.ids.reviewItemId },
      tenant.sessions.MODERATOR,
    );
    const incident = await api.prisma.incident.findUniqueOrThrow({ where: { id: tenant.ids.incidentId } });
    if (incident.keyframeIds.length > 0)
      expect(fixtureItem.data!.reviewItem.thumbnail!.url).toContain(incident.keyframeIds[0]!);
    else expect(fixtureItem.data!.reviewItem.thumbnail).toBeNull();
  });

  it('refuses empty, too long, unauthorised and cross-tenant notes, writing nothing', async () => {
    const id = await newItem();
    for (const text of ['', '   ', 'x'.repeat(5001)]) {
      const response = await api.gql(addNote, { id, text }, tenant.sessions.MODERATOR);
      expect({ length: text.length, codes: errorCodes(response) }).toEqual({
        length: text.length,
        codes: ['BAD_USER_INPUT'],
      });
    }
    expect(errorCodes(await api.gql(addNote, { id, text: 'hi' }, tenant.sessions.AUDITOR))).toEqual([
      'FORBIDDEN',
    ]);
    expect(
      errorCodes(
        await api.gql(addNote, { id: other.ids.reviewItemId, text: 'hi' }, tenant.sessions.MODERATOR),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await api.gql(notes, { id: other.ids.reviewItemId }, tenant.sessions.MODERATOR)),
    ).toEqual(['NOT_FOUND']);
    expect(
      await api.prisma.reviewNote.count({ where: { reviewItemId: { in: [id, other.ids.reviewItemId] } } }),
    ).toBe(0);
  });
});
