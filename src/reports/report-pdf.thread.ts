/**
 * The PDF renderer's worker thread (report-pdf-pool.ts): pdfkit lays out every line of a report
 * synchronously, so it runs here, off the API's event loop.
 */
import type { Report } from './report-format';
import { renderReportPdf } from './report-pdf';

export const RENDER_PDF_TASK = 'renderPdf';

export interface RenderPdfTask {
  report: Report;
  /** Frame id and JPEG (null when no longer stored) of each thumbnail. */
  frames: [string, Uint8Array | null][];
}

export async function renderPdf(task: RenderPdfTask): Promise<Uint8Array> {
  const images = new Map(
    task.frames.map(([id, jpeg]) => [
      id,
      jpeg ? Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength) : null,
    ]),
  );
  return renderReportPdf(task.report, images);
}
