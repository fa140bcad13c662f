import { randomUUID } from 'node:crypto';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * A stream's life and what outlives it: usage stays with the tenant and the month, evidence keeps
 * an archived stream readable, and the active-stream quota counts every stream that holds or may
 * take a sampler.
 */

const operator = { kind: 'operator' as const, id: null };
const CREATE_STREAM = `mutation ($input: CreateStreamInput!) { createStream(input: $input) { id name status } }`;
const START = 'mutation ($id: ID!) { startStream(streamId: $id) { id status } }';
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
