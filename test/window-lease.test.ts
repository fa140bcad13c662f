import { FRAME_FACTS } from '../src/analysis/analysis-inputs';
import { claimWindow, type WindowLease } from '../src/analysis/window-lease';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/** The lease by which one job at a time analyses a window, against the real database. */
describe('window lease', () => {
  let api: TestApi;
  let a: TenantFixture;
  let b: TenantFixture;
  let index = 0;
  const leases: WindowLease[] = [];

  const newWindow = async (tenant: TenantFixture, frameIds: string[] = []): Promise<string> => {
    const window = await api.prisma.window.create({
      data: {
        tenantId: tenant.tenantId,
        streamId: tenant.ids.streamId,
        index: 10_000 + index++,
        frameIds,
        startAt: new Date(),
        endAt: new Date(),
      },
    });
    return window.id;
  };
  const hold = async (tenant: TenantFixture, windowId: string, leaseMs: number, renewEveryMs = 60_000) => {
    const claim = await claimWindow(tenantDb(api.prisma, tenant.tenantId), windowId, {
      leaseMs,
      renewEveryMs,
    });
    if (claim.held) leases.push(claim.lease);
    return claim;
  };

  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([createTenantFixture(api, 'lease-a'), createTenantFixture(api, 'lease-b')]);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((lease) => lease.end()));
  });
  afterAll(() => api.stop());

  it('gives a QUEUED window to one claimant; the others are told when to ask again', async () => {
    const windowId = await newWindow(a);
    const claims = await Promise.all([1, 2, 3].map(() => hold(a, windowId, 20_000)));
    expect(claims.filter((c) => c.held)).toHaveLength(1);
    for (const claim of claims.filter((c) => !c.held)) {
      expect(claim).toMatchObject({ busy: true });
      const retryInMs = (claim as { retryInMs: number }).retryInMs;
      expect(retryInMs).toBeGreaterThan(15_000);
      expect(retryInMs).toBeLessThanOrEqual(21_000);
    }
    const row = await api.prisma.window.findUniqueOrThrow({ where: { id: windowId } });
    expect(row).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(row.leaseToken).not.toBeNull();
  });

  it('renews the lease while held, and a released one is claimed again at once', async () => {
    const windowId = await newWindow(a);
    const first = await hold(a, windowId, 600, 100);
    if (!first.held) throw new Error('the first claim must hold');
    // Well past the first expiry the lease still holds, because it was renewed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await hold(a, windowId, 600)).toMatchObject({ held: false, busy: true });
    await first.lease.end({ release: true });
    expect(first.lease.signal.aborted).toBe(false);
    const second = await hold(a, windowId, 600);
    expect(second.held).toBe(true);
    expect(await api.prisma.window.findUniqueOrThrow({ where: { id: windowId } })).toMatchObject({
      status: 'RUNNING',
      attempts: 2,
    });
  });

  it('lets a lease that ran out be taken over, and aborts a holder whose lease was taken', async () => {
    const windowId = await newWindow(a);
    // A holder that stopped renewing (its process stalled): the lease runs out.
    const stalled = await hold(a, windowId, 200, 60_000);
    if (!stalled.held) throw new Error('the first claim must hold');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const taker = await hold(a, windowId, 20_000);
    expect(taker.held).toBe(true);
    // A holder whose renewal finds its token replaced: its signal aborts, the row stays the other's.
    const revivedId = await newWindow(a);
    const revived = await hold(a, revivedId, 200, 50);
    if (!revived.held) throw new Error('the claim must hold');
    await api.prisma.window.update({
      where: { id: revivedId },
      data: { leaseToken: '00000000-0000-4000-8000-000000000002' },
    });
    await waitFor(() => revived.lease.signal.aborted, 2_000, 20);
    expect(String(revived.lease.signal.reason)).toMatch(/lease was lost/);
    const row = await api.prisma.window.findUniqueOrThrow({ where: { id: revivedId } });
    expect(row.leaseToken).toBe('00000000-0000-4000-8000-000000000002');
  });

  it('says a finished window is not busy, and never claims or reveals another tenant’s window', async () => {
    const done = await newWindow(a);
    await api.prisma.window.update({ where: { id: done }, data: { status: 'DONE' } });
    expect(await hold(a, done, 20_000)).toEqual({ held: false, busy: false, status: 'DONE' });

    // Another tenant's window is as good as absent: no status, nothing written.
    const theirs = await newWindow(b);
    expect(await hold(a, theirs, 20_000)).toEqual({ held: false, busy: false, status: null });
    expect(await api.prisma.window.findUniqueOrThrow({ where: { id: theirs } })).toMatchObject({
      status: 'QUEUED',
      attempts: 0,
      leaseToken: null,
      leaseUntil: null,
    });
  });

  it('reads with the claim what the analysis needs: frames, stream, active version and the stream’s recent past', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    // The fixture's frame, twice (windows overlap), and a frame that retention deleted.
    const { frameIds: fixtureFrames } = await db.window.findUniqueOrThrow({ where: { id: a.ids.windowId } });
    const frameIds = [fixtureFrames[0]!, '00000000-0000-4000-8000-00000000f4a3', fixtureFrames[0]!];
    const windowId = await newWindow(a, frameIds);
    const claim = await hold(a, windowId, 20_000);
    if (!claim.held) throw new Error('the claim must hold');
    // The same, read the way Prisma would read it in separate statements.
    const frame = await db.frame.findUniqueOrThrow({
      where: { id: fixtureFrames[0]! },
      select: FRAME_FACTS,
    });
    const stream = await db.stream.findUniqueOrThrow({
      where: { id: a.ids.streamId },
      select: { name: true, sceneVersion: true, template: { select: { activeVersionId: true } } },
    });
    const previous = await db.analysis.findFirst({
      where: {
        streamId: a.ids.streamId,
        status: { in: ['DONE', 'DEGRADED', 'GATED'] },
        windowId: { not: windowId },
      },
      orderBy: { completedAt: 'desc' },
      select: { result: true },
    });
    const incident = await db.incident.findFirst({
      where: { streamId: a.ids.streamId, status: 'OPEN' },
      orderBy: { lastFiredAt: 'desc' },
      select: { summary: true, severity: true, startAt: true },
    });
    expect(stream.template?.activeVersionId).toBe(a.ids.versionId);
    // The fixture's stream has a finished analysis and an open incident: both are read.
    expect(previous).not.toBeNull();
    expect(incident).not.toBeNull();
    expect(claim.window).toEqual({
      id: windowId,
      streamId: a.ids.streamId,
      frameIds,
      frames: [frame, frame],
      stream,
      previousResult: previous?.result ?? null,
      openIncident: incident,
    });
  });
});
