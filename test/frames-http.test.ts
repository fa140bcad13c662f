import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
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
