import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import type {
  AnalysisReport,
  IncidentReport,
  Report,
  ReportAnalysis,
  ReportAuditEntry,
  ReportFrame,
  ReportIncidentContext,
  ReportUser,
} from './report-format';

/** The JPEG of each frame a report lists, by frame id; null where the store no longer has it. */
export type FrameImages = Map<string, Buffer | null>;

/**
 * Renders a chain-of-thought report (report.service.ts) as a PDF: pdfkit with its built-in standard
 * fonts, no network, no files. Every section of the JSON report appears in readable form; each frame
 * is a small JPEG thumbnail with its capture time and sha256 under it.
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

const pretty = (value: unknown): string => JSON.stringify(value ?? null, null, 2);
const userLabel = (user: ReportUser | null): string =>
  user ? `${user.email ?? '(deleted user)'} (${user.id})` : '-';

class ReportWriter {
  private readonly images = new Map<string, OpenedImage | null>();

  constructor(
    readonly doc: Doc,
    private readonly frameImages: Map<string, Buffer | null>,
  ) {}

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

  /** The frames as a grid of thumbnails, each with its capture time and sha256 under it. */
  async frames(frames: ReportFrame[], missing: string[]): Promise<void> {
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
    if (frames.length === 0) this.paragraph('No frames stored for this window.', { muted: true });
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

function header(w: ReportWriter, report: Report): void {
  w.fields([
    ['Generated', report.generatedAt],
    ['Tenant', `${report.tenant.name} (${report.tenant.slug}, ${report.tenant.id})`],
    ['Report content sha256', report.contentSha256],
  ]);
  w.paragraph(
    'The content sha256 is computed over the RFC 8785 canonical JSON of the JSON export of this report without that field.',
    { muted: true },
  );
  w.heading('Stream');
  w.fields(
    report.stream
      ? [
          ['Name', report.stream.name],
          ['Id', report.stream.id],
          ['Kind', report.stream.kind],
          ['Source', report.stream.sourceUrl],
        ]
      : [['Stream', 'deleted']],
  );
}

function incidentContext(w: ReportWriter, context: ReportIncidentContext, level: 1 | 2): void {
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
    ['Created', incident.createdAt],
  ]);
  w.heading(level === 1 ? 'Rule that fired' : 'Rule that fired', 2);
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

async function analysisSection(w: ReportWriter, analysis: ReportAnalysis, title: string): Promise<void> {
  w.heading(title);
  w.fields([
    ['Id', analysis.id],
    ['Status', analysis.status],
    ['Mode', analysis.mode],
    ['Model', analysis.model],
    ['GPU node', analysis.nodeName ?? (analysis.mode === 'LOCAL' ? 'local CPU detector' : null)],
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
  w.heading('Prompt template version and sampling', 2);
  const version = analysis.promptVersion;
  if (version) {
    w.fields([
      ['Template', `${version.templateName ?? '(deleted template)'} (${version.templateId})`],
      ['Version', `${version.version} (${version.id})`],
      ['Model', version.modelName],
      ['Inference mode', version.mode],
    ]);
  }
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
  if (version) {
    w.label('System text');
    w.paragraph(version.systemText);
    w.label('Instruction text');
    w.paragraph(version.instructionText);
    w.label('Result schema');
    w.code(pretty(version.resultSchema));
  } else w.paragraph('The prompt template version no longer exists.', { muted: true });
  w.heading("The model's reasoning", 2);
  w.paragraph(analysis.reasoning || '(no reasoning: a local analysis or an Instruct model)', {
    muted: !analysis.reasoning,
  });
  w.heading('Structured result', 2);
  w.code(pretty(analysis.result));
}

async function incidentBody(w: ReportWriter, report: IncidentReport): Promise<void> {
  incidentContext(w, report, 1);
  for (const [index, analysis] of report.analyses.entries()) {
    await analysisSection(w, analysis, `Analysis ${index + 1} of ${report.analyses.length}`);
  }
  if (report.analyses.length === 0) {
    w.heading('Analyses');
    w.paragraph('The analyses of this incident no longer exist.', { muted: true });
  }
}

async function analysisBody(w: ReportWriter, report: AnalysisReport): Promise<void> {
  await analysisSection(w, report.analysis, 'Analysis');
  w.heading(`Incidents this analysis fired (${report.incidents.length})`);
  if (report.incidents.length === 0) w.paragraph('It fired no rule.', { muted: true });
  for (const context of report.incidents) incidentContext(w, context, 2);
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
      Title: `Vigil chain-of-thought report: ${subject}`,
      Subject: subject,
      Creator: 'Vigil',
      Producer: 'Vigil (pdfkit)',
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const w = new ReportWriter(doc, frameImages);
  w.title('Chain-of-thought report', subject);
  header(w, report);
  if (report.kind === 'incident') await incidentBody(w, report);
  else await analysisBody(w, report);
  w.footer(`Vigil report ${subject}, generated ${report.generatedAt}`);
  doc.end();
  return done;
}
