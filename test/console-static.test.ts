import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, TestApi } from './support/api-harness';

/**
 * The API serves the console build: index.html for the console's own routes (a browser
 * navigation), hashed assets with long caching, and still 404 for API clients' unknown paths.
 */
describe('console served by the API', () => {
  let api: TestApi;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console build</title>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("asset")');
    api = await startTestApi({ CONSOLE_DIR: dir });
  });

  afterAll(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const origin = () => api.url;

  it('answers a browser navigation to a console route with index.html and a strict CSP', async () => {
    for (const route of ['/', '/queue', '/review/0190a0a0-0000-7000-8000-000000000000', '/admin/rules']) {
      const response = await fetch(`${origin()}${route}`, { headers: { accept: 'text/html,*/*' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('console build');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets with a year of caching, and 404 for a missing one', async () => {
    const asset = await fetch(`${origin()}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('max-age=31536000');
    expect((await fetch(`${origin()}/assets/missing.js`)).status).toBe(404);
  });

  it('leaves API paths and non-browser requests to the API', async () => {
    const unknown = await fetch(`${origin()}/no-such-path`, { headers: { accept: 'application/json' } });
    expect(unknown.status).toBe(404);
    const health = await fetch(`${origin()}/healthz`, { headers: { accept: 'text/html' } });
    expect(await health.json()).toEqual({ status: 'ok' });
    const graphql = await api.gql<{ __typename: string }>('{ __typename }');
    expect(graphql.data).toEqual({ __typename: 'Query' });
  });
});
