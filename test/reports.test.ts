import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildVigilSchema } from '../src/api/build-schema';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { renderReportPdf } from '../src/reports/report-pdf';
import type { AnalysisReport, IncidentReport } from '../src/reports/report-format';
import { reportContentSha256 } from '../src/services/report.service';
import { frameKey } from '../src/storage/frame-store';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { pdfText } from './support/pdf-reader';
import { selectionOf } from './support/schema-operations';
import { createTenantFixture, SAMPLE_VERSION, TenantFixture } from './support/tenant-fixture';

/**
 * Chain-of-thought reports against the real API: JSON (GraphQL and download) with the frames' stored
 * sha256, the full prompt version, the decision and who made it; a real PDF with the frames as
 * thumbnails; and nothing of another tenant, whatever the route.
 */
const SUMMARY = 'Person climbing the fence at the north gate';
const REASONING =
  'Frame 2 shows a person at the fence; in frame 3 one foot is on the rail, so the person is climbing.';

describe('chain-of-thought reports', () => {
  let api: TestApi;
  let frameDir: string;
  let a: TenantFixture;
  let b: TenantFixture;
  let incidentId: string;
  let analysisId: string;
  let frameSha256: string[];
  // Every field of the report types: the answer is then the whole report, whose hash can be checked.
  let incidentQuery: string;
  let analysisQuery: string;

  beforeAll(async () => {
    const schema = await buildVigilSchema();
    const everyField = (typeName: string) => selectionOf(schema.getType(typeName)!, 1);
    incidentQuery = `query($id: ID!) { incidentReport(incidentId: $id) ${everyField('IncidentReport')} }`;
    analysisQuery = `query($id: ID!) { analysisReport(analysisId: $id) ${everyField('AnalysisReport')} }`;
    frameDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-report-frames-'));
    api = await startTestApi({ FRAME_STORE_DIR: frameDir });
    [a, b] = await Promise.all([createTenantFixture(api, 'report-a'), createTenantFixture(api, 'report-b')]);

    // What the workers leave behind: four stored frames, a window, a VLM analysis, an incident with its review item.
    const db = tenantDb(api.prisma, a.tenantId);
    const start = new Date(Date.now() - 60_000);
    const frames = [];
    for (let i = 0; i < 4; i++) {
      const jpeg = await sharp({
        create: {
          width: 448,
          height: 256,
          channels: 3,
          background: { r: 40 + i * 50, g: 120, b: 200 - i * 40 },
        },
      })
        .jpeg()
        .toBuffer();
      const capturedAt = new Date(start.getTime() + i * 1000);
      const key = frameKey(a.tenantId, a.ids.streamId, capturedAt, 100 + i);
      await api.services.windows.store.put(key, jpeg);
      frames.push(
        await db.frame.create({
          data: {
            tenantId: a.tenantId,
            streamId: a.ids.streamId,
            sequence: 100 + i,
            capturedAt,
            storageKey: key,
            sha256: createHash('sha256').update(jpeg).digest('hex'),
            width: 448,
            height: 256,
            bytes: jpeg.length,
            skippedBefore: i === 2 ? 3 : 0,
          },
        }),
      );
    }
    frameSha256 = frames.map((frame) => frame.sha256);
    const window = await db.window.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        index: 7,
        frameIds: frames.map((frame) => frame.id),
        startAt: frames[0]!.capturedAt,
        endAt: frames[3]!.capturedAt,
        status: 'DONE',
      },
    });
    const analysis = await db.analysis.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        windowId: window.id,
        templateVersionId: a.ids.versionId,
        mode: 'VLM',
        status: 'DONE',
        nodeName: 'gpu-1',
        model: 'Qwen/Qwen3-VL-8B-Thinking',
        result: {
          timestamp: frames[2]!.capturedAt.toISOString(),
          objects: [{ label: 'person', count: 1, confidence: 0.93, frames: [1, 2, 3] }],
          actions: [{ actor: 'person', action: 'climbing', target: 'fence' }],
          anomalies: [{ type: 'intrusion', severity: 'high', description: 'climbing the fence → over' }],
          verdict: 'violation',
          confidence: 0.9,
        },
        reasoning: REASONING,
        finishReason: 'stop',
        framesSent: 4,
        promptTokens: 1800,
        completionTokens: 240,
        reasoningTokens: 180,
        visionTokens: 1200,
        latencyMs: 2300,
        attempts: 1,
        completedAt: new Date(),
      },
    });
    analysisId = analysis.id;
    const incident = await db.incident.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        ruleId: a.ids.ruleId,
        startAt: window.startAt,
        endAt: window.endAt,
        lastFiredAt: window.endAt,
        keyframeIds: frames.map((frame) => frame.id),
        severity: 'high',
        confidence: 0.9,
        summary: SUMMARY,
      },
    });
    incidentId = incident.id;
    await db.incidentFiring.create({
      data: {
        tenantId: a.tenantId,
        incidentId,
        ruleId: a.ids.ruleId,
        analysisId: analysis.id,
        windowId: window.id,
        startAt: window.startAt,
        endAt: window.endAt,
      },
    });
    const item = await db.reviewItem.create({
      data: { tenantId: a.tenantId, incidentId, streamId: a.ids.streamId, queue: 'lawn', priority: 80 },
    });
    // The moderator's claim and decision go through the API, so they are audited as in production.
    for (const [query, variables] of [
      ['mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }', { id: item.id }],
      [
        'mutation($id: ID!, $input: ReviewDecisionInput!) { decideReviewItem(reviewItemId: $id, input: $input) { id } }',
        {
          id: item.id,
          input: { decision: 'CONFIRM_VIOLATION', reason: 'climbing over the fence', notes: 'gate 3' },
        },
      ],
    ] as const) {
      const response = await api.gql(query, variables, a.sessions.MODERATOR);
      expect(response.errors).toBeUndefined();
    }
  }, 90_000);

  afterAll(async () => {
    await api.stop();
    await rm(frameDir, { recursive: true, force: true });
  });

  const download = (route: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${route}`, { headers });
  const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

  it('builds the incident report: frames with their stored sha256, the full prompt version, the decision and its audit trail', async () => {
    const response = await api.gql<{ incidentReport: IncidentReport }>(
      incidentQuery,
      { id: incidentId },
      a.sessions.AUDITOR,
    );
    expect(response.errors).toBeUndefined();
    const report = response.data!.incidentReport;
    expect(report).toMatchObject({
      kind: 'incident',
      tenant: { id: a.tenantId, slug: a.slug },
      stream: { id: a.ids.streamId, name: 'Front lawn' },
      incident: { id: incidentId, summary: SUMMARY, severity: 'high', firings: 1 },
      rule: { id: a.ids.ruleId, name: 'Person on lawn', cooldownSeconds: 60 },
    });
    expect(report.stream!.sourceUrl).not.toContain('s3cret');

    const [analysis] = report.analyses;
    expect(report.analyses).toHaveLength(1);
    expect(analysis!.frames.map((frame) => frame.sha256)).toEqual(frameSha256);
    expect(analysis!.frames.map((frame) => frame.skippedBefore)).toEqual([0, 0, 3, 0]);
    expect(analysis).toMatchObject({
      id: analysisId,
      model: 'Qwen/Qwen3-VL-8B-Thinking',
      nodeName: 'gpu-1',
      latencyMs: 2300,
      tokens: { prompt: 1800, completion: 240, reasoning: 180, vision: 1200 },
      window: { index: 7 },
      reasoning: REASONING,
      result: { verdict: 'violation' },
    });
    const version = await api.prisma.promptTemplateVersion.findUniqueOrThrow({
      where: { id: a.ids.versionId },
    });
    expect(analysis!.promptVersion).toMatchObject({
      id: version.id,
      version: 1,
      templateName: 'Lawn watch',
      systemText: SAMPLE_VERSION.systemText,
      instructionText: SAMPLE_VERSION.instructionText,
      modelName: version.modelName,
      resultSchema: version.resultSchema,
    });
    expect(analysis!.sampling).toEqual({
      temperature: version.temperature,
      topP: version.topP,
      topK: version.topK,
      presencePenalty: version.presencePenalty,
      maxCompletionTokens: version.maxCompletionTokens,
      thinkingTokenBudget: version.thinkingTokenBudget,
    });

    const moderator = { id: a.userIds.MODERATOR, email: `moderator@${a.slug}.test` };
    expect(report.reviewItem).toMatchObject({
      decision: 'CONFIRM_VIOLATION',
      reason: 'climbing over the fence',
      notes: 'gate 3',
      status: 'RESOLVED',
      decidedBy: moderator,
    });
    // The decision ends the incident: its closing is the moderator's, in the same transaction.
    expect(report.auditEvents.map((event) => event.action)).toEqual([
      'reviewItem.claim',
      'reviewItem.decide',
      'incident.closed',
    ]);
    for (const event of report.auditEvents.filter((entry) => entry.action.startsWith('reviewItem.'))) {
      expect(event.actor).toMatchObject({ type: 'user', ...moderator });
      expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(event.chainIndex).toBeGreaterThan(0);
    }
    expect(report.contentSha256).toBe(reportContentSha256(report));
  });

  it('builds the analysis report with the incidents it fired and their decisions', async () => {
    const response = await api.gql<{ analysisReport: AnalysisReport }>(
      analysisQuery,
      { id: analysisId },
      a.sessions.ADMIN,
    );
    expect(response.errors).toBeUndefined();
    const report = response.data!.analysisReport;
    expect(report.kind).toBe('analysis');
    expect(report.analysis.frames.map((frame) => frame.sha256)).toEqual(frameSha256);
    expect(report.analysis.promptVersion!.systemText).toBe(SAMPLE_VERSION.systemText);
    expect(report.incidents).toHaveLength(1);
    expect(report.incidents[0]).toMatchObject({
      incident: { id: incidentId },
      rule: { id: a.ids.ruleId },
      reviewItem: { decision: 'CONFIRM_VIOLATION', decidedBy: { email: `moderator@${a.slug}.test` } },
    });
    expect(report.contentSha256).toBe(reportContentSha256(report));
  });

  it('serves the JSON reports as downloads with a session or an API key', async () => {
    const incident = await download(`/reports/incidents/${incidentId}.json`, bearer(a.sessions.AUDITOR));
    expect(incident.status).toBe(200);
    expect(incident.headers.get('content-type')).toMatch(/^application\/json/);
    expect(incident.headers.get('content-disposition')).toBe(
      `attachment; filename="vigil-incident-${incidentId}.json"`,
    );
    const body = (await incident.json()) as IncidentReport;
    expect(body.incident.id).toBe(incidentId);
    expect(body.analyses[0]!.frames.map((frame) => frame.sha256)).toEqual(frameSha256);
    expect(body.contentSha256).toBe(reportContentSha256(body));

    const analysis = await download(`/reports/analyses/${analysisId}.json`, {
      'x-api-key': a.apiKeys.AUDITOR,
    });
    expect(analysis.status).toBe(200);
    expect(((await analysis.json()) as AnalysisReport).analysis.id).toBe(analysisId);
  });

  it('serves real PDFs, with each frame embedded once as a thumbnail', async () => {
    for (const route of [`/reports/incidents/${incidentId}.pdf`, `/reports/analyses/${analysisId}.pdf`]) {
      const response = await download(route, bearer(a.apiKeys.AUDITOR));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-disposition')).toMatch(
        /^attachment; filename="vigil-(incident|analysis)-.*\.pdf"$/,
      );
      const pdf = Buffer.from(await response.arrayBuffer());
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.subarray(-8).toString('latin1')).toContain('%%EOF');
      expect(pdf.length).toBeGreaterThan(5_000);
      expect(pdf.toString('latin1').match(/\/Subtype \/Image/g)).toHaveLength(4);
    }
  });

  it('writes every section into the PDF in readable form', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    const report = await api.services.reports.incidentReport(db, a.tenantId, incidentId);
    const pdf = await renderReportPdf(report, await api.services.reports.frameImages(db, report), {
      compress: false,
    });
    const text = pdfText(pdf);
    for (const expected of [
      SUMMARY,
      'Person on lawn',
      `moderator@${a.slug}.test`,
      'CONFIRM_VIOLATION',
      'climbing over the fence',
      SAMPLE_VERSION.systemText,
      'Qwen/Qwen3-VL-8B-Thinking',
      'reviewItem.decide',
      report.contentSha256,
      frameSha256[0]!.slice(0, 32),
      frameSha256[0]!.slice(32),
      'climbing the fence -> over',
    ])
      expect({ expected, found: text.includes(expected) }).toEqual({ expected, found: true });
    // Reasoning is wrapped, so look for its words in order.
    expect(text.replace(/\s+/g, ' ')).toContain(REASONING.slice(0, 40));
  });

  it("answers another tenant's ids with 404 / NOT_FOUND on every route and query", async () => {
    const db = tenantDb(api.prisma, b.tenantId);
    const otherAnalysis = await db.analysis.findFirstOrThrow({});
    for (const route of [
      `/reports/incidents/${b.ids.incidentId}.json`,
      `/reports/incidents/${b.ids.incidentId}.pdf`,
      `/reports/analyses/${otherAnalysis.id}.json`,
      `/reports/analyses/${otherAnalysis.id}.pdf`,
    ]) {
      for (const credential of [a.sessions.AUDITOR, a.apiKeys.ADMIN]) {
        const response = await download(route, bearer(credential));
        const text = await response.text();
        expect({ route, status: response.status }).toEqual({ route, status: 404 });
        expect(JSON.parse(text)).toEqual({
          errors: [{ message: expect.any(String), extensions: { code: 'NOT_FOUND' } }],
        });
        expect(text).not.toContain(b.slug);
      }
    }
    expect(errorCodes(await api.gql(incidentQuery, { id: b.ids.incidentId }, a.sessions.AUDITOR))).toEqual([
      'NOT_FOUND',
    ]);
    expect(errorCodes(await api.gql(analysisQuery, { id: otherAnalysis.id }, a.sessions.AUDITOR))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('asks for a credential, refuses moderators and knows only its own routes', async () => {
    const route = `/reports/incidents/${incidentId}.pdf`;
    expect((await download(route)).status).toBe(401);
    expect((await download(route, bearer('not-a-token'))).status).toBe(401);
    expect((await download(route, bearer(a.sessions.MODERATOR))).status).toBe(403);
    expect((await download(route, bearer(a.apiKeys.MODERATOR))).status).toBe(403);
    expect(errorCodes(await api.gql(incidentQuery, { id: incidentId }, a.sessions.MODERATOR))).toEqual([
      'FORBIDDEN',
    ]);
    for (const unknown of [
      `/reports/streams/${a.ids.streamId}.json`,
      `/reports/incidents/${incidentId}.html`,
      `/reports/incidents/not-an-id.json`,
    ]) {
      expect({ unknown, status: (await download(unknown, bearer(a.sessions.AUDITOR))).status }).toEqual({
        unknown,
        status: 404,
      });
    }
  });
});
