import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import {
  REPORT_PAGE_SIZE,
  type AnalysisReport,
  type IncidentReport,
  type Report,
  type ReportAnalysis,
  type ReportAuditEntry,
  type ReportFrame,
  type ReportIncidentContext,
  type ReportPromptVersion,
  type ReportUser,
} from './report-format';

/** The JPEG of each frame a report lists, by frame id; null where the store no longer has it. */
export type FrameImages = Map<string, Buffer | null>;

/**
 * Renders a report (report.service.ts) as a PDF: pdfkit with its built-in standard fonts, no
 * network, no files. The summary comes first (incident, rule, decision, time range, firings,
 * keyframes); then the incident's details and audit trail; then the evidence appendix: the
 * report's page of analyses (at most REPORT_PAGE_SIZE), each prompt version once, with a note of
 * how many analyses are on other pages and where to get them. Thumbnails stop at
 * MAX_PDF_THUMBNAILS (later frames are listed with their sha256 only) and long texts at
 * MAX_PDF_TEXT characters, so the document stays bounded however large the incident.
 * contentSha256 is written in the text and in the document information (VigilContentSha256).
 */
export interface ReportPdfOptions {
  /** Deflate page contents (the default). Tests turn it off to read the text. */
  compress?: boolean;
}

type Doc = PDFKit.PDFDocument;
type OpenedImage = { width: number; height: number };

const MARGIN = 50;
const BODY_SIZE = 9.5;
const SMALL_SIZE = 7.5;
const THUMB = { width: 118, height: 84, gap: 7, caption: 34 };
const MUTED = '#555555';

/** Frames embedded as images in one PDF; further frames are listed with their sha256 only. */
export const MAX_PDF_THUMBNAILS = 72;
/** Characters of one reasoning, result or trace printed in full; the JSON has the rest. */
export const MAX_PDF_TEXT = 12_000;

/** Standard PDF fonts only cover WinAnsi (Latin-1 and a few more): anything else becomes readable ASCII or '?'. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const REPLACEMENTS: Record<string, string> = {
  '→': '->',
  '←': '<-',
  '⇒': '=>',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
};

export function pdfSafe(text: string): string {
  let out = '';
  for (const char of text.replace(/\r\n?/g, '\n').replace(/\t/g, '  ')) {
    const code = char.codePointAt(0)!;
    if (
      char === '\n' ||
      (code >= 0x20 && code <= 0x7e) ||
      (code >= 0xa0 && code <= 0xff) ||
      WIN_ANSI_EXTRA.has(char)
    )
      out += char;
    else out += REPLACEMENTS[char] ?? '?';
  }
  return out;
}

/**
 * JSON indented by structure, but any array or object that fits on a line kept on one: a result's
 * frame lists and boxes would otherwise take a line per number.
 */
export function compactJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value ?? null);
  if (flat.length + indent.length <= 96 || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value))
    return `[\n${value.map((item) => inner + compactJson(item, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  return `{\n${entries
    .map(([key, item]) => `${inner}${JSON.stringify(key)}: ${compactJson(item, inner)}`)
    .join(',\n')}\n${indent}}`;
}

/** A text cut at MAX_PDF_TEXT characters, saying so. */
function bounded(text: string, where: string): string {
  return text.length <= MAX_PDF_TEXT
    ? text
    : `${text.slice(0, MAX_PDF_TEXT)}\n[… ${text.length - MAX_PDF_TEXT} more characters: see ${where}]`;
}

const pretty = (value: unknown): string => compactJson(value);
const userLabel = (user: ReportUser | null): string =>
  user ? `${user.email ?? '(deleted user)'} (${user.id})` : '-';

class ReportWriter {
  private readonly images = new Map<string, OpenedImage | null>();

  constructor(
    readonly doc: Doc,
    private readonly frameImages: Map<string, Buffer | null>,
  ) {}

  /** Frames the thumbnail cap left out (listed by hash instead). */
  framesListedOnly = 0;

  get width(): number {
    return this.doc.page.width - MARGIN * 2;
  }

  private ensureSpace(height: number): void {
    if (this.doc.y + height > this.doc.page.height - MARGIN) this.doc.addPage();
  }

  title(text: string, subtitle: string): void {
    this.doc.font('Helvetica-Bold').fontSize(18).fillColor('black').text(pdfSafe(text), MARGIN, MARGIN);
    this.doc.font('Helvetica').fontSize(11).fillColor(MUTED).text(pdfSafe(subtitle));
    this.doc.moveDown(0.8);
  }

  heading(text: string, level: 1 | 2 = 1): void {
    this.ensureSpace(level === 1 ? 60 : 40);
    this.doc.moveDown(level === 1 ? 0.9 : 0.5);
    this.doc
      .font('Helvetica-Bold')
      .fontSize(level === 1 ? 13 : 11)
      .fillColor(level === 1 ? '#1a3a6b' : 'black')
      .text(pdfSafe(text), MARGIN, this.doc.y, { width: this.width });
    if (level === 1) {
      const y = this.doc.y + 1;
      this.doc
        .moveTo(MARGIN, y)
        .lineTo(MARGIN + this.width, y)
        .lineWidth(0.5)
        .strokeColor('#1a3a6b')
        .stroke();
    }
    this.doc.moveDown(0.35);
  }

  /** Label: value lines. */
  fields(rows: [string, string | number | boolean | null | undefined][]): void {
    for (const [label, value] of rows) {
      this.ensureSpace(14);
      this.doc
        .font('Helvetica-Bold')
        .fontSize(BODY_SIZE)
        .fillColor('black')
        .text(`${pdfSafe(label)}: `, MARGIN, this.doc.y, { continued: true, width: this.width });
      this.doc.font('Helvetica').text(pdfSafe(value === null || value === undefined ? '-' : String(value)));
    }
  }

  label(text: string): void {
    this.ensureSpace(30);
    this.doc.moveDown(0.3);
    this.doc
      .font('Helvetica-Bold')
      .fontSize(BODY_SIZE)
      .fillColor('black')
      .text(pdfSafe(text), MARGIN, this.doc.y, { width: this.width });
  }

  paragraph(text: string, options: { muted?: boolean } = {}): void {
    this.doc
      .font('Helvetica')
      .fontSize(BODY_SIZE)
      .fillColor(options.muted ? MUTED : 'black')
      .text(pdfSafe(text || '(none)'), MARGIN, this.doc.y, { width: this.width, lineGap: 1.5 });
  }

  code(text: string): void {
    this.doc
      .font('Courier')
      .fontSize(SMALL_SIZE)
      .fillColor('black')
      .text(pdfSafe(text), MARGIN + 6, this.doc.y, { width: this.width - 6, lineGap: 0.5 });
    this.doc.font('Helvetica');
  }

  /**
   * The frames as a grid of thumbnails, each with its capture time and sha256 under it; frames
   * beyond the thumbnail cap (not among frameImages' keys) as lines of sequence, time and sha256.
   */
  async frames(all: ReportFrame[], missing: string[]): Promise<void> {
    const frames = all.filter((frame) => this.frameImages.has(frame.id));
    const listed = all.filter((frame) => !this.frameImages.has(frame.id));
    const columns = Math.max(1, Math.floor((this.width + THUMB.gap) / (THUMB.width + THUMB.gap)));
    for (let start = 0; start < frames.length; start += columns) {
      this.ensureSpace(THUMB.height + THUMB.caption + 6);
      const top = this.doc.y;
      const row = frames.slice(start, start + columns);
      for (const [column, frame] of row.entries()) {
        const x = MARGIN + column * (THUMB.width + THUMB.gap);
        const image = await this.imageOf(frame.id);
        if (image) {
          this.doc.image(image as unknown as Buffer, x, top, {
            fit: [THUMB.width, THUMB.height],
            align: 'center',
            valign: 'center',
          });
        } else {
          this.doc.rect(x, top, THUMB.width, THUMB.height).lineWidth(0.5).strokeColor('#999999').stroke();
          this.doc
            .font('Helvetica')
            .fontSize(SMALL_SIZE)
            .fillColor(MUTED)
            .text('image no longer stored', x, top + THUMB.height / 2 - 4, {
              width: THUMB.width,
              align: 'center',
            });
        }
        this.doc
          .font('Helvetica')
          .fontSize(6.5)
          .fillColor('black')
          .text(`#${frame.sequence} ${frame.capturedAt}`, x, top + THUMB.height + 2, {
            width: THUMB.width,
            lineBreak: false,
          });
        const skipped = frame.skippedBefore ? ` (${frame.skippedBefore} near-duplicates skipped before)` : '';
        this.doc
          .fontSize(5.6)
          .fillColor(MUTED)
          .text(`sha256${skipped}`, x, top + THUMB.height + 10, { width: THUMB.width, lineBreak: false });
        this.doc
          .font('Courier')
          .fontSize(5.6)
          .text(`${frame.sha256.slice(0, 32)}\n${frame.sha256.slice(32)}`, x, top + THUMB.height + 17, {
            width: THUMB.width,
            lineGap: 0.4,
          });
      }
      this.doc.x = MARGIN;
      this.doc.y = top + THUMB.height + THUMB.caption;
    }
    if (listed.length) {
      this.framesListedOnly += listed.length;
      this.paragraph(
        `${listed.length} frame(s) without thumbnail (this PDF embeds at most ${MAX_PDF_THUMBNAILS}):`,
        { muted: true },
      );
      this.code(listed.map((frame) => `#${frame.sequence} ${frame.capturedAt} ${frame.sha256}`).join('\n'));
    }
    if (all.length === 0) this.paragraph('No frames stored for this window.', { muted: true });
    if (missing.length)
      this.paragraph(`Frames no longer stored (retention): ${missing.join(', ')}`, { muted: true });
  }

  private async imageOf(frameId: string): Promise<OpenedImage | null> {
    if (this.images.has(frameId)) return this.images.get(frameId)!;
    const jpeg = this.frameImages.get(frameId);
    let image: OpenedImage | null = null;
    if (jpeg) {
      try {
        const thumbnail = await sharp(jpeg)
          .resize({ width: THUMB.width * 2, height: THUMB.height * 2, fit: 'inside' })
          .jpeg({ quality: 70 })
          .toBuffer();
        // Opened once, so a frame shared by overlapping windows is embedded once.
        image = (this.doc as unknown as { openImage(src: Buffer): OpenedImage }).openImage(thumbnail);
      } catch {
        image = null;
      }
    }
    this.images.set(frameId, image);
    return image;
  }

  /** Page numbers in the footer, once every page exists. */
  footer(text: string): void {
    const range = this.doc.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index++) {
      this.doc.switchToPage(index);
      const bottom = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      this.doc
        .font('Helvetica')
        .fontSize(7)
        .fillColor(MUTED)
        .text(`${pdfSafe(text)} - page ${index + 1} of ${range.count}`, MARGIN, this.doc.page.height - 30, {
          width: this.width,
          align: 'center',
          lineBreak: false,
        });
      this.doc.page.margins.bottom = bottom;
    }
  }
}

/** The frames a report's PDF embeds as thumbnails: its incidents' keyframes, then its analyses' frames, up to the cap. */
export function pdfThumbnailFrameIds(report: Report): string[] {
  const contexts = report.kind === 'incident' ? [report] : report.incidents;
  const sections = report.kind === 'incident' ? report.analyses : [report.analysis];
  const ids = new Set<string>();
  for (const frame of [
    ...contexts.flatMap((context) => context.incident.keyframes),
    ...sections.flatMap((section) => section.frames),
  ]) {
    if (ids.size >= MAX_PDF_THUMBNAILS) break;
    ids.add(frame.id);
  }
  return [...ids];
}

const routeOf = (report: Report): string =>
  report.kind === 'incident'
    ? `/reports/incidents/${report.incident.id}`
    : `/reports/analyses/${report.analysis.id}`;

function header(w: ReportWriter, report: Report): void {
  w.fields([
    ['Report content sha256', report.contentSha256],
    ['Generated', report.generatedAt],
    ['Tenant', `${report.tenant.name} (${report.tenant.slug}, ${report.tenant.id})`],
    [
      'Stream',
      report.stream
        ? `${report.stream.name} (${report.stream.kind}, ${report.stream.id}) ${report.stream.sourceUrl}`
        : 'deleted',
    ],
    [
      'Analyses',
      `${report.analysisCounts.total} (${report.analysisCounts.model} by a model, ${report.analysisCounts.local} local)`,
    ],
  ]);
  w.paragraph(
    `The content sha256 is computed over the RFC 8785 canonical JSON of the JSON export of this report (${routeOf(report)}.json, with every page's analyses) without contentSha256, generatedAt and analysesPage: every copy of one state of the report has the same hash, whenever and however it is exported.`,
    { muted: true },
  );
}

/** The incident at a glance: what happened, which rule, the decision, when, how often, and its keyframes. */
async function summary(w: ReportWriter, report: IncidentReport): Promise<void> {
  const { incident, rule, reviewItem } = report;
  w.heading('Summary');
  w.fields([
    ['Incident', `${incident.summary || '(no summary)'} (${incident.id})`],
    ['Rule', rule ? `${rule.name} (${rule.id})` : 'deleted'],
    [
      'Decision',
      reviewItem
        ? `${reviewItem.decision ?? 'not decided yet'}${reviewItem.decidedBy ? ` by ${userLabel(reviewItem.decidedBy)}` : ''}${reviewItem.reason ? `: ${reviewItem.reason}` : ''}`
        : 'no review item (the rule did not ask for a review)',
    ],
    ['From', incident.startAt],
    ['To', incident.endAt],
    [
      'Status',
      `${incident.status}${incident.closedAt ? ` (closed ${incident.closedAt}, ${incident.closeReason ?? 'no reason'})` : ''}`,
    ],
    ['Severity', incident.severity],
    ['Confidence', incident.confidence],
    ['Firings', incident.firings],
  ]);
  w.heading(`Keyframes (${incident.keyframes.length})`, 2);
  await w.frames(incident.keyframes, []);
  evidenceNote(w, report);
}

/** How much of the evidence appendix this document holds, and where the rest is. */
function evidenceNote(w: ReportWriter, report: IncidentReport): void {
  const page = report.analysesPage;
  if (page.total === 0) return;
  const route = routeOf(report);
  const leftOut = page.total - report.analyses.length;
  w.label(
    `Evidence appendix: analyses ${page.first}-${page.last} of ${page.total} (page ${page.page} of ${page.pages}, at most ${REPORT_PAGE_SIZE} per page)`,
  );
  if (leftOut > 0) {
    const others = [
      ...(page.page > 1 ? [`${page.first - 1} before`] : []),
      ...(page.last < page.total ? [`${page.total - page.last} after`] : []),
    ].join(' and ');
    w.paragraph(
      `${leftOut} analyses are left out of this document (${others}). Get them page by page: ${route}.pdf?page=N or ${route}.json?page=N (N from 1 to ${page.pages}${page.nextPage ? `; the next is ?page=${page.nextPage}` : ''}), or GraphQL incidentReport(incidentId, page: N).`,
    );
  }
}

function incidentDetails(w: ReportWriter, context: ReportIncidentContext, level: 1 | 2): void {
  const { incident, rule, reviewItem, auditEvents } = context;
  w.heading(level === 1 ? 'Incident' : `Incident ${incident.id}`, level);
  w.fields([
    ['Id', incident.id],
    ['Summary', incident.summary],
    ['Status', incident.status],
    ['Severity', incident.severity],
    ['Confidence', incident.confidence],
    ['From', incident.startAt],
    ['To', incident.endAt],
    ['Firings', incident.firings],
    ['Closed', incident.closedAt ? `${incident.closedAt} (${incident.closeReason ?? 'no reason'})` : null],
    ['Created', incident.createdAt],
  ]);
  w.heading('Rule that fired', 2);
  if (rule) {
    w.fields([
      ['Name', rule.name],
      ['Id', rule.id],
      ['Enabled', rule.enabled ? 'yes' : 'no'],
      ['Priority', rule.priority],
      ['Cooldown', `${rule.cooldownSeconds} s`],
      ['Last changed', rule.updatedAt],
    ]);
    w.label('Condition');
    w.code(pretty(rule.condition));
    w.label('Action');
    w.code(pretty(rule.action));
  } else w.paragraph('The rule no longer exists.', { muted: true });
  w.heading('Human decision', 2);
  if (reviewItem) {
    w.fields([
      ['Decision', reviewItem.decision ?? 'not decided yet'],
      ['Decided by', userLabel(reviewItem.decidedBy)],
      ['Decided at', reviewItem.decidedAt],
      ['Reason', reviewItem.reason],
      ['Notes', reviewItem.notes],
      [
        'Review item',
        `${reviewItem.id} (queue ${reviewItem.queue}, ${reviewItem.status}, priority ${reviewItem.priority})`,
      ],
      ['Assignee', userLabel(reviewItem.assignee)],
      ['Escalated at', reviewItem.escalatedAt],
      ['Created', reviewItem.createdAt],
    ]);
  } else w.paragraph('No review item (the rule did not ask for a review).', { muted: true });
  auditTrail(w, auditEvents);
}

function auditTrail(w: ReportWriter, events: ReportAuditEntry[]): void {
  w.heading('Audit trail', 2);
  if (events.length === 0) {
    w.paragraph('No audit events about this incident or its review item.', { muted: true });
    return;
  }
  for (const event of events) {
    const actor =
      event.actor.type === 'user'
        ? `user ${event.actor.email ?? '(deleted user)'}`
        : event.actor.type === 'apiKey'
          ? `API key ${event.actor.apiKeyName ?? event.actor.id ?? ''}`
          : event.actor.type;
    w.label(`#${event.chainIndex ?? '?'}  ${event.createdAt}  ${event.action}  by ${actor}`);
    const data =
      event.data && typeof event.data === 'object' && Object.keys(event.data).length
        ? ` ${JSON.stringify(event.data)}`
        : '';
    w.code(`hash ${event.hash ?? '(not chained)'}${data ? `\ndata${data}` : ''}`);
  }
}

async function windowAndFrames(w: ReportWriter, analysis: ReportAnalysis): Promise<void> {
  w.heading('Window and frames', 2);
  w.fields(
    analysis.window
      ? [
          ['Window', `#${analysis.window.index} (${analysis.window.id})`],
          ['From', analysis.window.startAt],
          ['To', analysis.window.endAt],
        ]
      : [['Window', 'deleted']],
  );
  w.doc.moveDown(0.4);
  await w.frames(analysis.frames, analysis.missingFrameIds);
}

const templateLabel = (analysis: ReportAnalysis): string =>
  analysis.template
    ? `${analysis.template.templateName ?? '(deleted template)'} version ${analysis.template.version} (${analysis.template.id})`
    : 'no longer stored';

/** What the local CPU analyser found and how: no model ran, so no model, sampling or reasoning. */
async function localSection(
  w: ReportWriter,
  analysis: ReportAnalysis,
  title: string,
  where: string,
): Promise<void> {
  const local = analysis.local!;
  w.heading(`${title} - Local analysis`);
  w.paragraph(
    'Made by the local CPU analyser (object detector, NSFW classifier and tracker); no language model ran, so there are no model settings and no model reasoning.',
    { muted: true },
  );
  w.fields([
    ['Id', analysis.id],
    ['Status', analysis.status],
    ['Analyser', local.analyser],
    ['Why local', local.note ?? 'the template analyses locally'],
    ['Template', templateLabel(analysis)],
    ['Started', analysis.startedAt],
    ['Completed', analysis.completedAt],
    ['Latency', `${analysis.latencyMs} ms`],
    ['Attempts', analysis.attempts],
    ...(analysis.error && analysis.error !== local.note
      ? [['Error', analysis.error] as [string, string]]
      : []),
  ]);
  await windowAndFrames(w, analysis);
  w.heading('How the local analyser reached it', 2);
  w.paragraph(
    local.trace.length ? bounded(local.trace.join('\n'), where) : '(this result carries no trace)',
    { muted: local.trace.length === 0 },
  );
  w.heading('Structured result', 2);
  // The trace is printed above in full sentences; the rest of the result as it is stored.
  const { trace: _shownAbove, ...result } = (analysis.result ?? {}) as Record<string, unknown>;
  w.code(bounded(pretty(analysis.result === null ? null : result), where));
}

/** What a model found and its reasoning; the prompt it read is printed once, in its own appendix. */
async function modelSection(
  w: ReportWriter,
  analysis: ReportAnalysis,
  title: string,
  where: string,
): Promise<void> {
  w.heading(`${title} - Model analysis`);
  w.fields([
    ['Id', analysis.id],
    ['Status', analysis.status],
    ['Model', analysis.model],
    ['GPU node', analysis.nodeName],
    ['Started', analysis.startedAt],
    ['Completed', analysis.completedAt],
    ['Latency', `${analysis.latencyMs} ms`],
    ['Finish reason', analysis.finishReason],
    ['Attempts', analysis.attempts],
    ['Error', analysis.error],
    ['Frames sent', analysis.framesSent],
    [
      'Tokens',
      `prompt ${analysis.tokens.prompt}, completion ${analysis.tokens.completion}, reasoning ${analysis.tokens.reasoning}, vision ${analysis.tokens.vision}`,
    ],
  ]);
  await windowAndFrames(w, analysis);
  w.heading('Prompt template version and sampling', 2);
  const version = analysis.promptVersion;
  if (version) {
    w.fields([
      ['Template', `${version.templateName ?? '(deleted template)'} (${version.templateId})`],
      ['Version', `${version.version} (${version.id}): prompt texts under "Prompt template versions"`],
      ['Model', version.modelName],
      ['Inference mode', version.mode],
    ]);
  } else w.paragraph('The prompt template version no longer exists.', { muted: true });
  const sampling = analysis.sampling;
  if (sampling) {
    w.fields([
      ['Temperature', sampling.temperature],
      ['Top p', sampling.topP],
      ['Top k', sampling.topK],
      ['Presence penalty', sampling.presencePenalty],
      ['Max completion tokens', sampling.maxCompletionTokens],
      ['Thinking token budget', sampling.thinkingTokenBudget],
    ]);
  }
  w.heading("The model's reasoning", 2);
  w.paragraph(bounded(analysis.reasoning, where) || '(no reasoning: an Instruct model)', {
    muted: !analysis.reasoning,
  });
  w.heading('Structured result', 2);
  w.code(bounded(pretty(analysis.result), where));
}

function analysisSection(
  w: ReportWriter,
  analysis: ReportAnalysis,
  title: string,
  where: string,
): Promise<void> {
  return analysis.kind === 'local'
    ? localSection(w, analysis, title, where)
    : modelSection(w, analysis, title, where);
}

/** Each prompt version the page's model analyses read, once (it is the same for most of them). */
function promptVersions(w: ReportWriter, analyses: ReportAnalysis[]): void {
  const versions = new Map<string, ReportPromptVersion>();
  for (const analysis of analyses)
    if (analysis.promptVersion) versions.set(analysis.promptVersion.id, analysis.promptVersion);
  if (versions.size === 0) return;
  w.heading('Prompt template versions');
  for (const version of versions.values()) {
    w.heading(
      `${version.templateName ?? '(deleted template)'} version ${version.version} (${version.id})`,
      2,
    );
    w.fields([
      ['Model', version.modelName],
      ['Inference mode', version.mode],
    ]);
    w.label('System text');
    w.paragraph(version.systemText);
    w.label('Instruction text');
    w.paragraph(version.instructionText);
    w.label('Result schema');
    w.code(pretty(version.resultSchema));
  }
}

async function incidentBody(w: ReportWriter, report: IncidentReport): Promise<void> {
  await summary(w, report);
  incidentDetails(w, report, 1);
  const page = report.analysesPage;
  const where = `${routeOf(report)}.json?page=${page.page}`;
  for (const [index, analysis] of report.analyses.entries()) {
    await analysisSection(w, analysis, `Analysis ${page.first + index} of ${page.total}`, where);
  }
  if (page.total === 0) {
    w.heading('Analyses');
    w.paragraph('The analyses of this incident no longer exist.', { muted: true });
  }
  promptVersions(w, report.analyses);
  if (report.analyses.length < page.total) {
    w.heading('Left out of this document');
    evidenceNote(w, report);
  }
}

async function analysisBody(w: ReportWriter, report: AnalysisReport): Promise<void> {
  await analysisSection(w, report.analysis, 'Analysis', `${routeOf(report)}.json`);
  promptVersions(w, [report.analysis]);
  w.heading(`Incidents this analysis fired (${report.incidents.length})`);
  if (report.incidents.length === 0) w.paragraph('It fired no rule.', { muted: true });
  for (const context of report.incidents) incidentDetails(w, context, 2);
}

/** The report as a PDF document (A4). */
export async function renderReportPdf(
  report: Report,
  frameImages: FrameImages,
  options: ReportPdfOptions = {},
): Promise<Buffer> {
  const subject =
    report.kind === 'incident' ? `Incident ${report.incident.id}` : `Analysis ${report.analysis.id}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    compress: options.compress ?? true,
    info: {
      Title: pdfSafe(`Vigil ${report.title}: ${subject}`),
      Subject: subject,
      Keywords: `contentSha256 ${report.contentSha256}`,
      Creator: 'Vigil',
      Producer: 'Vigil (pdfkit)',
      // Read by tools and tests without parsing the pages: the same hash as the JSON and GraphQL.
      VigilContentSha256: report.contentSha256,
    } as PDFKit.DocumentInfo,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // Only the frames given images get thumbnails (pdfThumbnailFrameIds bounds them).
  const w = new ReportWriter(doc, frameImages);
  w.title(report.title, subject);
  header(w, report);
  if (report.kind === 'incident') await incidentBody(w, report);
  else await analysisBody(w, report);
  w.footer(`Vigil report ${subject}, content sha256 ${report.contentSha256.slice(0, 16)}…`);
  doc.end();
  return done;
}
