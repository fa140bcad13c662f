import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * What the review console lists for each item: its incident's severity and summary, the rule that
 * fired and the stream's name, read in one batched query per kind for a whole page; and the stream filter.
 */
describe('review items for the console', () => {
  let api: TestApi;
  let a: TenantFixture;
  let b: TenantFixture;
  let secondStreamId: string;

  const list = `query($streamId: ID, $status: [ReviewStatus!]) {
    reviewItems(first: 100, streamId: $streamId, status: $status) {
      edges { node { id streamId severity summary ruleId streamName } }
    }
  }`;
  type Page = {
    reviewItems: {
      edges: {
        node: {
          id: string;
          streamId: string;
          severity: string | null;
          summary: string;
          ruleId: string;
          streamName: string;
        };
      }[];
    };
  };

  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([
      createTenantFixture(api, 'console-a'),
      createTenantFixture(api, 'console-b'),
    ]);
    const db = tenantDb(api.prisma, a.tenantId);
    const second = await db.stream.create({
      data: {
        tenantId: a.tenantId,
        name: 'Back yard',
        sourceUrl: 'rtsp://camera.example.net/yard',
        kind: 'RTSP',
      },
    });
    secondStreamId = second.id;
    const now = new Date();
    for (let i = 0; i < 40; i++) {
      const streamId = i % 4 === 0 ? second.id : a.ids.streamId;
      const incident = await db.incident.create({
        data: {
          tenantId: a.tenantId,
          streamId,
          ruleId: a.ids.ruleId,
          startAt: now,
          endAt: now,
          lastFiredAt: now,
          severity: i % 2 ? 'high' : null,
          summary: `incident ${i}`,
        },
      });
      await db.reviewItem.create({
        data: { tenantId: a.tenantId, incidentId: incident.id, streamId, queue: 'console', priority: i },
      });
    }
  }, 60_000);
  afterAll(() => api.stop());

  it('shows severity, summary, rule and stream name for a page of items with one query for each', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    const incidents = jest.spyOn(db.incident, 'findMany');
    const streams = jest.spyOn(db.stream, 'findMany');
    try {
      const response = await api.gql<Page>(list, {}, a.sessions.MODERATOR);
      expect(response.errors).toBeUndefined();
      const nodes = response.data!.reviewItems.edges.map((edge) => edge.node);
      expect(nodes).toHaveLength(41); // the fixture's item and these 40
      expect(incidents).toHaveBeenCalledTimes(1);
      expect(streams).toHaveBeenCalledTimes(1);
      const rows = await db.reviewItem.findMany({ include: { incident: true, stream: true } });
      for (const node of nodes) {
        const row = rows.find((candidate) => candidate.id === node.id)!;
        expect(node).toEqual({
          id: row.id,
          streamId: row.streamId,
          severity: row.incident.severity,
          summary: row.incident.summary,
          ruleId: row.incident.ruleId,
          streamName: row.stream.name,
        });
      }
    } finally {
      incidents.mockRestore();
      streams.mockRestore();
    }
  });

  it('filters by stream, together with status, and shows the fields on a single item too', async () => {
    const response = await api.gql<Page>(
      list,
      { streamId: secondStreamId, status: ['OPEN'] },
      a.sessions.AUDITOR,
    );
    expect(response.errors).toBeUndefined();
    const nodes = response.data!.reviewItems.edges.map((edge) => edge.node);
    expect(nodes).toHaveLength(10);
    expect(nodes.every((node) => node.streamId === secondStreamId && node.streamName === 'Back yard')).toBe(
      true,
    );

    const one = await api.gql<{
      reviewItem: { summary: string; streamName: string; severity: string | null };
    }>(
      'query($id: ID!) { reviewItem(reviewItemId: $id) { summary streamName severity ruleId } }',
      { id: a.ids.reviewItemId },
      a.sessions.ADMIN,
    );
    expect(one.errors).toBeUndefined();
    expect(one.data!.reviewItem).toEqual({
      summary: 'Person on lawn',
      streamName: 'Front lawn',
      severity: null,
      ruleId: a.ids.ruleId,
    });
  });

  it("answers another tenant's stream with NOT_FOUND", async () => {
    const response = await api.gql<Page>(list, { streamId: b.ids.streamId }, a.sessions.MODERATOR);
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(response.data ?? null).toBeNull();
  });
});
