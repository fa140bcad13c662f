/**
 * Report PDFs rendered off the event loop: a small pool of worker threads (piscina) running
 * report-pdf.thread.ts, so a large report never stalls the API's other requests.
 *
 *   const pdfs = new ReportPdfPool({ threads: 1 });
 *   const pdf = await pdfs.render(report, frameImages);
 *   await pdfs.dispose();
 *
 * Threads start on the first render and end after a minute idle, so an API that renders no PDF
 * pays nothing. The queue of waiting renders is capped (RENDER_QUEUE): past it a render is refused
 * as RATE_LIMITED rather than piling up work nobody may wait for.
 *
 * The thread entry is the compiled .js beside this module, or the .ts source loaded through tsx
 * when it runs from source (tests and benches).
 */
import path from 'node:path';
import { Piscina } from 'piscina';
// On glibc a native library loaded only by worker threads is unloaded when the last of them ends,
// which crashes the process if another thread still uses it: sharp is held by the main thread too.
import 'sharp';
import { DomainError, ErrorCode } from '../errors/domain-error';
import type { Report } from './report-format';
import type { FrameImages } from './report-pdf';
import { RENDER_PDF_TASK, type RenderPdfTask } from './report-pdf.thread';

const THREAD_ENTRY = 'report-pdf.thread';
/** Renders waiting for a thread before new ones are refused. */
export const RENDER_QUEUE = 16;
const IDLE_TIMEOUT_MS = 60_000;

function threadEntry(): { filename: string; execArgv?: string[] } {
  const extension = path.extname(__filename);
  const filename = path.join(__dirname, `${THREAD_ENTRY}${extension}`);
  return extension === '.ts' ? { filename, execArgv: ['--import', 'tsx'] } : { filename };
}

export class ReportPdfPool {
  private pool: Piscina<RenderPdfTask, Uint8Array> | null = null;

  constructor(private readonly options: { threads: number }) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError('threads must be a positive integer');
    }
  }

  async render(report: Report, frameImages: FrameImages): Promise<Buffer> {
    this.pool ??= new Piscina<RenderPdfTask, Uint8Array>({
      ...threadEntry(),
      name: RENDER_PDF_TASK,
      minThreads: 0,
      maxThreads: this.options.threads,
      idleTimeout: IDLE_TIMEOUT_MS,
      maxQueue: RENDER_QUEUE,
    });
    if (this.pool.queueSize >= RENDER_QUEUE)
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        'Too many reports are being rendered; try again shortly',
        {
          retryAfterSeconds: 5,
        },
      );
    const pdf = await this.pool.run({ report, frames: [...frameImages.entries()] });
    return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  }

  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
