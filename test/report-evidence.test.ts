import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildVigilSchema } from '../src/api/build-schema';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { IncidentReport } from '../src/reports/report-format';
import { reportContentSha256 } from '../src/services/report.service';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createLargeIncident, type LargeIncident } from './support/large-incident';
import { pdfInfo, pdfPageCount, pdfText } from './support/pdf-reader';
import { selectionOf } from './support/schema-operations';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * Reports that say what they are and stay bounded: one content hash for the page, the JSON and the
 * PDF of one state; a local analysis reported as the CPU analyser's work, with no model settings;
 * an incident of 1,000 windows reported as a summary and a paged evidence appendix, its PDF
 * bounded, rendered off the API's event loop.
 */
const WINDOWS = 1000;
const TRACE_LINE = 'Conclusion: 1 anomaly, verdict review';

describe('bounded reports with one hash', () => {
  let api: TestApi;
  let frameDir: string;
  let a: TenantFixture;
  let large: LargeIncident;
  let mixedIncidentId: string;
  let incidentQuery: string;

  beforeAll(async () => {
    const schema = await buildVigilSchema();
    incidentQuery = `query($id: ID!, $page: Int) { incidentReport(incidentId: $id, page: $page) ${selectionOf(schema.getType('IncidentReport')!, 1)} }`;
    frameDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-report-evidence-'));
    api = await startTestApi({ FRAME_STORE_DIR: frameDir });
    a = await createTenantFixture(api, 'evidence');
    const common = {
      prisma: api.prisma,
      putFrame: (key: string, jpeg: Buffer) => api.services.windows.store.put(key, jpeg),
      tenantId: a.tenantId,
      streamId: a.ids.streamId,
      versionId: a.ids.versionId,
      ruleId: a.ids.ruleId,
    };
    large = await createLargeIncident({ ...common, windows: WINDOWS, firstIndex: 10_000 });
    // Mixed: two local windows, then a model analysis of one of them.
    const mixed = await createLargeIncident({ ...common, windows: 2, firstIndex: 20_000, storedFrames: 4 });
    mixedIncidentId = mixed.incidentId;
    const local = await api.prisma.analysis.findUniqueOrThrow({ where: { id: mixed.analysisIds[1]! } });
    const model = await api.prisma.analysis.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        windowId: local.windowId,
        templateVersionId: a.ids.versionId,
        mode: 'VLM',
        status: 'DONE',
        nodeName: 'gpu-1',
        model: 'Qwen/Qwen3-VL-8B-Thinking',
        reasoning: 'The person has stood on the walkway for a minute, so this is loitering.',
        result: { timestamp: local.startedAt.toISOString(), objects: [], actions: [], anomalies: [] },
        startedAt: new Date(local.startedAt.getTime() + 1),
        completedAt: new Date(),
      },
    });
    await api.prisma.incidentFiring.create({
      data: {
        tenantId: a.tenantId,
        incidentId: mixedIncidentId,
        ruleId: a.ids.ruleId,
        analysisId: model.id,
        windowId: local.windowId,
        startAt: local.startedAt,
        endAt: local.startedAt,
      },
    });
  }, 180_000);

  afterAll(async () => {
    await api.stop();
    await rm(frameDir, { recursive: true, force: true });
  });

  const download = (route: string) =>
    fetch(`${api.url}${route}`, { headers: { authorization: `Bearer ${a.sessions.AUDITOR}` } });
  const reportPage = async (incidentId: string, page?: number) => {
    const response = await api.gql<{ incidentReport: IncidentReport }>(
      incidentQuery,
      { id: incidentId, page },
      a.sessions.AUDITOR,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.incidentReport;
  };

  it('shows one hash on the page, in the JSON and in the PDF, whenever each is built', async () => {
    const page = await reportPage(a.ids.incidentId);
    const json = (await (
      await download(`/reports/incidents/${a.ids.incidentId}.json`)
    ).json()) as IncidentReport;
    const pdf = Buffer.from(
      await (await download(`/reports/incidents/${a.ids.incidentId}.pdf`)).arrayBuffer(),
    );
    expect(json.generatedAt).not.toBe(page.generatedAt);
    expect(page.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.contentSha256).toBe(page.contentSha256);
    // The PDF is compressed as served: its hash is read from its document information and its pages.
    expect(pdfInfo(pdf, 'VigilContentSha256')).toBe(page.contentSha256);
    expect(pdfText(pdf)).toContain(page.contentSha256);
    // And the hash is what it claims: the report's canonical JSON without the unhashed fields.
    expect(reportContentSha256(json)).toBe(json.contentSha256);
  });

  it('reports a local analysis as the local analyser’s, with its trace and no model settings', async () => {
    const report = await reportPage(large.incidentId);
    expect(report.title).toBe('Incident report — local analysis');
    expect(report.analysisCounts).toEqual({ total: WINDOWS, model: 0, local: WINDOWS });
    const [first] = report.analyses;
    expect(first).toMatchObject({
      kind: 'local',
      mode: 'LOCAL',
      model: null,
      nodeName: null,
      promptVersion: null,
      sampling: null,
      reasoning: '',
      local: { analyser: 'local:centernet+nsfwjs+tracker', note: null },
      template: { id: a.ids.versionId, templateName: 'Lawn watch' },
    });
    expect(first!.local!.trace.at(-1)).toContain(TRACE_LINE);

    const pdf = Buffer.from(
      await (await download(`/reports/incidents/${large.incidentId}.pdf`)).arrayBuffer(),
    );
    const text = pdfText(pdf);
    const version = await api.prisma.promptTemplateVersion.findUniqueOrThrow({
      where: { id: a.ids.versionId },
    });
    expect(pdfInfo(pdf, 'Title')).toContain('Incident report — local analysis');
    for (const expected of [
      'Incident report',
      'Local analysis',
      'How the local analyser reached it',
      TRACE_LINE,
    ])
      expect({ expected, found: text.includes(expected) }).toEqual({ expected, found: true });
    for (const absent of [
      'Chain-of-thought report',
      'Temperature',
      'Thinking token budget',
      'THINKING',
      'Sampling',
      version.modelName,
    ])
      expect({ absent, found: text.includes(absent) }).toEqual({ absent, found: false });
  });

  it('labels each analysis of a mixed report with who made it', async () => {
    const report = await reportPage(mixedIncidentId);
    expect(report.title).toBe('Incident report — chain of thought and local analysis');
    expect(report.analyses.map((analysis) => analysis.kind)).toEqual(['local', 'local', 'model']);
    expect(report.analyses[2]).toMatchObject({ model: 'Qwen/Qwen3-VL-8B-Thinking', local: null });
    expect(report.analyses[2]!.sampling).not.toBeNull();
    const pdf = Buffer.from(
      await (await download(`/reports/incidents/${mixedIncidentId}.pdf`)).arrayBuffer(),
    );
    const text = pdfText(pdf);
    expect(text).toContain('Analysis 1 of 3 - Local analysis');
    expect(text).toContain('Analysis 3 of 3 - Model analysis');
    expect(text).toContain('Thinking token budget');
  });

  it('reports an incident of 1,000 windows as a summary and pages of 50 analyses, every page with the same hash', async () => {
    const started = performance.now();
    const response = await download(`/reports/incidents/${large.incidentId}.json`);
    const buildMs = performance.now() - started;
    const body = await response.text();
    const first = JSON.parse(body) as IncidentReport;
    expect(first.analyses).toHaveLength(50);
    expect(first.analysesPage).toEqual({
      page: 1,
      pages: 20,
      pageSize: 50,
      total: WINDOWS,
      first: 1,
      last: 50,
      nextPage: 2,
    });
    expect(first.incident).toMatchObject({ id: large.incidentId, firings: WINDOWS });
    expect(first.incident.keyframes).toHaveLength(8);
    expect(Buffer.byteLength(body)).toBeLessThan(1_000_000);
    // The target for a report of 1,000 windows (bench:report prints the figures).
    expect(buildMs).toBeLessThan(2000);

    // Every page, JSON and GraphQL, carries the hash of the whole report; joined, they check against it.
    const all = [...first.analyses];
    for (let page = 2; page <= first.analysesPage.pages; page++) {
      const next =
        page % 2 === 0
          ? ((await (
              await download(`/reports/incidents/${large.incidentId}.json?page=${page}`)
            ).json()) as IncidentReport)
          : await reportPage(large.incidentId, page);
      expect(next.contentSha256).toBe(first.contentSha256);
      expect(next.analysesPage).toMatchObject({
        page,
        first: page * 50 - 49,
        nextPage: page < 20 ? page + 1 : null,
      });
      all.push(...next.analyses);
    }
    expect(new Set(all.map((analysis) => analysis.id)).size).toBe(WINDOWS);
    expect(reportContentSha256({ ...first, analyses: all })).toBe(first.contentSha256);

    for (const bad of ['0', '21', 'two', '1.5']) {
      const answer = await download(`/reports/incidents/${large.incidentId}.json?page=${bad}`);
      expect({ bad, status: answer.status }).toEqual({ bad, status: 400 });
    }
    expect(
      errorCodes(await api.gql(incidentQuery, { id: large.incidentId, page: 21 }, a.sessions.AUDITOR)),
    ).toEqual(['BAD_USER_INPUT']);
  }, 120_000);

  it('renders the PDF of 1,000 windows bounded, with a note of what it left out, off the event loop', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const response = await download(`/reports/incidents/${large.incidentId}.pdf?page=2`);
    const pdf = Buffer.from(await response.arrayBuffer());
    const elapsed = performance.now() - started;
    // A few timer turns more, so a block just before the answer is counted too.
    await new Promise((resolve) => setTimeout(resolve, 40));
    delay.disable();
    expect(response.status).toBe(200);
    const p99 = delay.percentile(99) / 1e6;
    const pages = pdfPageCount(pdf);
    expect(elapsed).toBeLessThan(10_000);
    expect(pdf.length).toBeLessThan(3_000_000);
    expect(pages).toBeLessThan(400);
    const text = pdfText(pdf);
    expect(text).toContain('Analysis 51 of 1000');
    expect(text).toContain('Analysis 100 of 1000');
    expect(text).not.toContain('Analysis 101 of 1000');
    expect(text.replace(/\s+/g, ' ')).toContain(
      '950 analyses are left out of this document (50 before and 900 after)',
    );
    expect(text.replace(/\s+/g, ' ')).toContain('?page=3');
    expect(pdfInfo(pdf, 'VigilContentSha256')).toMatch(/^[0-9a-f]{64}$/);
    // The render runs in a worker thread: this process's event loop stays responsive throughout.
    // The bound leaves room for a busy machine; a render on the loop blocks it for far longer.
    process.stdout.write(
      `event loop during the render: p99 ${p99.toFixed(1)} ms, ${elapsed.toFixed(0)} ms in all\n`,
    );
    expect(p99).toBeLessThanOrEqual(200);
  }, 120_000);

  it("keeps another tenant's incident out, whatever the page", async () => {
    const b = await createTenantFixture(api, 'evidence-b');
    const db = tenantDb(api.prisma, b.tenantId);
    expect(await db.incident.findUnique({ where: { id: large.incidentId } })).toBeNull();
    const response = await fetch(`${api.url}/reports/incidents/${large.incidentId}.json?page=2`, {
      headers: { authorization: `Bearer ${b.sessions.AUDITOR}` },
    });
    expect(response.status).toBe(404);
    expect(
      errorCodes(await api.gql(incidentQuery, { id: large.incidentId, page: 2 }, b.sessions.AUDITOR)),
    ).toEqual(['NOT_FOUND']);
  });
});
