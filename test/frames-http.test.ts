import { randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { bearer, gqlWithHeaders, RawResponse } from './support/raw-http';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/** Windows and their frames through GraphQL, and the frame bytes over HTTP, tenant-checked. */
describe('windows, frames and frame URLs', () => {
  let api: TestApi;
  let root: string;
  let a: TenantFixture;
  let b: TenantFixture;
  const jpeg = sharp({ create: { width: 64, height: 32, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vigil-frames-http-'));
    api = await startTestApi({ FRAME_STORE_DIR: root, FRAME_URL_SECRET: 'test-frame-secret' });
    [a, b] = await Promise.all([createTenantFixture(api, 'frames-a'), createTenantFixture(api, 'frames-b')]);
    for (const fixture of [a, b]) {
      const frame = await tenantDb(api.prisma, fixture.tenantId).frame.findFirstOrThrow({
        where: { streamId: fixture.ids.streamId },
      });
      await api.services.windows.store.put(frame.storageKey, await jpeg);
    }
  }, 30_000);
  afterAll(async () => {
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  const WINDOW = `query($id: ID!) { window(windowId: $id) { index status frames { id sequence capturedAt skippedBefore width height url } } }`;
  type WindowData = { window: { frames: { id: string; url: string }[] } };

  it('lists a window’s frames with signed URLs that serve the JPEG without a token', async () => {
    const response = await api.gql<WindowData>(WINDOW, { id: a.ids.windowId }, a.sessions.MODERATOR);
    expect(errorCodes(response)).toEqual([]);
    const [frame] = response.data!.window.frames;
    const fetched = await fetch(`${api.url}${frame!.url}`);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(await jpeg);

    const streams = await api.gql<{
      stream: { framesKept: number; windows: { edges: { node: { id: string } }[] } };
    }>(
      'query($id: ID!) { stream(streamId: $id) { framesKept effectiveFps windows(first: 10) { edges { node { id } } } } }',
      { id: a.ids.streamId },
      a.apiKeys.AUDITOR,
    );
    expect(streams.data!.stream.windows.edges.map((edge) => edge.node.id)).toEqual([a.ids.windowId]);
  });

  it("never serves another tenant's frame, whatever the signature or credential", async () => {
    const mine = (await api.gql<WindowData>(WINDOW, { id: a.ids.windowId }, a.sessions.ADMIN)).data!.window
      .frames[0]!;
    const theirs = (await api.gql<WindowData>(WINDOW, { id: b.ids.windowId }, b.sessions.ADMIN)).data!.window
      .frames[0]!;
    const signedForA = new URL(mine.url, api.url);

    // A's signature moved onto B's frame id
    const moved = await fetch(`${api.url}/frames/${theirs.id}${signedForA.search}`);
    expect(moved.status).toBe(401);
    // A's credential asking for B's frame
    const crossed = await fetch(`${api.url}/frames/${theirs.id}`, {
      headers: { authorization: `Bearer ${a.apiKeys.ADMIN}` },
    });
    expect(crossed.status).toBe(404);
    // tampered tenant in a signed URL
    const tampered = new URL(mine.url, api.url);
    tampered.searchParams.set('t', b.tenantId);
    expect((await fetch(tampered)).status).toBe(401);
    // no proof at all
    expect((await fetch(`${api.url}/frames/${mine.id}`)).status).toBe(401);
    // a credential of the right tenant works without a signature
    const own = await fetch(`${api.url}/frames/${mine.id}`, {
      headers: { authorization: `Bearer ${a.apiKeys.AUDITOR}` },
    });
    expect(own.status).toBe(200);
  });

  describe('rate limit', () => {
    const LIMIT = 3;
    let limited: TestApi;
    beforeAll(async () => {
      limited = await startTestApi({
        FRAME_STORE_DIR: root,
        FRAME_URL_SECRET: 'test-frame-secret',
        RATE_LIMIT_API_KEY_PER_MINUTE: String(LIMIT),
      });
    }, 30_000);
    afterAll(async () => {
      await limited?.stop();
    });

    /** A new API key of tenant A, so no other test's requests count against its budget. */
    const freshKey = async (): Promise<string> =>
      (
        await limited.services.apiKeys.create(
          tenantDb(limited.prisma, a.tenantId),
          { kind: 'user', id: a.userIds.ADMIN, tenantId: a.tenantId },
          { name: `frames limit ${randomInt(1e9)}`, role: 'ADMIN' },
        )
      ).secret;

    const get = async (path: string, headers: Record<string, string>): Promise<RawResponse> => {
      const response = await fetch(`${limited.url}${path}`, { headers });
      const text = await response.text();
      const json = response.headers.get('content-type')?.includes('application/json')
        ? (JSON.parse(text) as Record<string, unknown>)
        : {};
      return { status: response.status, headers: response.headers, text, ...json };
    };

    /** What a refused request shows a client, with the varying seconds left out. */
    const refusalOf = (response: RawResponse<unknown>) => ({
      status: response.status,
      retryAfterHeader: response.headers.get('retry-after') !== null,
      errors: response.errors?.map(({ extensions }) => ({
        code: extensions?.code,
        reason: extensions?.reason,
        retryAfterSeconds: typeof extensions?.retryAfterSeconds,
      })),
    });

    it('counts frame requests with a credential like every other route, and answers 429 the same way', async () => {
      const frame = await tenantDb(api.prisma, a.tenantId).frame.findFirstOrThrow({
        where: { streamId: a.ids.streamId },
      });
      const framePath = `/frames/${frame.id}`;
      const key = await freshKey();
      for (let i = 1; i <= LIMIT; i += 1) {
        const served = await get(framePath, bearer(key));
        expect({ i, status: served.status }).toEqual({ i, status: 200 });
      }
      const refusedFrame = await get(framePath, bearer(key));
      // the same key in x-api-key is the same budget
      const refusedByHeader = await get(framePath, { 'x-api-key': key });

      const reportKey = await freshKey();
      const reportPath = `/reports/incidents/${randomUUID()}.json`;
      for (let i = 1; i <= LIMIT; i += 1) await get(reportPath, bearer(reportKey));
      const refusedReport = await get(reportPath, bearer(reportKey));

      const graphqlKey = await freshKey();
      for (let i = 1; i <= LIMIT; i += 1)
        await gqlWithHeaders(limited, '{ me { id } }', {}, bearer(graphqlKey));
      const refusedGraphQL = await gqlWithHeaders(limited, '{ me { id } }', {}, bearer(graphqlKey));

      const expected = {
        status: 429,
        retryAfterHeader: true,
        errors: [{ code: 'RATE_LIMITED', reason: 'REQUEST_RATE', retryAfterSeconds: 'number' }],
      };
      expect(refusalOf(refusedFrame)).toEqual(expected);
      expect(refusalOf(refusedByHeader)).toEqual(expected);
      expect(refusalOf(refusedReport)).toEqual(expected);
      expect(refusalOf(refusedGraphQL)).toEqual(expected);
      expect(refusedFrame.errors![0]!.message).toMatch(
        /^Too many requests for this API key; retry in \d+ s$/,
      );

      // A signed URL was handed out to a caller who was counted then; <img> loads are not counted.
      const window = await limited.gql<{ window: { frames: { url: string }[] } }>(
        'query($id: ID!) { window(windowId: $id) { frames { url } } }',
        { id: a.ids.windowId },
        a.sessions.MODERATOR,
      );
      const signed = window.data!.window.frames[0]!.url;
      for (let i = 0; i <= LIMIT; i += 1) expect((await get(signed, {})).status).toBe(200);
    });
  });

  it('answers a clear error for a bad frame id', async () => {
    const response = await fetch(`${api.url}/frames/not-an-id`, {
      headers: { authorization: `Bearer ${a.apiKeys.ADMIN}` },
    });
    expect(response.status).toBe(400);
    expect(
      ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('BAD_USER_INPUT');
  });
});
