import { useCallback, useState } from 'react';
import { toast } from 'sonner';
import { useSignedIn } from '../../auth/session';
import { failureOf, saveAsFile, suggestedFileName } from '../../lib/file-download';

export type ReportKind = 'incidents' | 'analyses';
export type ReportFormat = 'pdf' | 'json';

/**
 * Downloads a report file (GET /reports/<kind>/<id>.<format>[?page=N] with the session's token) and hands
 * it to the browser as a file. The outcome is always told with a toast: the file name on success,
 * the status and the API's message on failure.
 */
export function useReportDownload(kind: ReportKind, id: string, page: number | null = null) {
  const { token } = useSignedIn();
  const [busy, setBusy] = useState<ReportFormat | null>(null);

  const download = useCallback(
    async (format: ReportFormat) => {
      setBusy(format);
      const label = format.toUpperCase();
      try {
        const query = page && page > 1 ? `?page=${page}` : '';
        const response = await fetch(`/reports/${kind}/${encodeURIComponent(id)}.${format}${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) {
          toast.error(`${label} export failed: ${await failureOf(response)}`);
          return;
        }
        const name = suggestedFileName(
          response,
          `vigil-${kind === 'incidents' ? 'incident' : 'analysis'}-${id}.${format}`,
        );
        await saveAsFile(response, name);
        toast.success(`${label} report downloaded: ${name}`);
      } catch (error) {
        toast.error(`${label} export failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        setBusy(null);
      }
    },
    [kind, id, page, token],
  );

  return { download, busy };
}
