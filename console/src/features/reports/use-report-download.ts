import { useCallback, useState } from 'react';
import { toast } from 'sonner';
import { useSignedIn } from '../../auth/session';

export type ReportKind = 'incidents' | 'analyses';
export type ReportFormat = 'pdf' | 'json';

/** The file name the API suggests in Content-Disposition, else one of the same pattern. */
function fileNameOf(response: Response, kind: ReportKind, id: string, format: ReportFormat): string {
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  return match?.[1] ?? `vigil-${kind === 'incidents' ? 'incident' : 'analysis'}-${id}.${format}`;
}

/** "404 Not Found: Incident not found (NOT_FOUND)", from the API's GraphQL-shaped error body. */
async function failureOf(response: Response): Promise<string> {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const body = (await response.json()) as {
      errors?: { message?: string; extensions?: { code?: string } }[];
    };
    const first = body.errors?.[0];
    if (first?.message) {
      const code = first.extensions?.code;
      return `${status}: ${first.message}${code ? ` (${code})` : ''}`;
    }
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return status;
}

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
        const name = fileNameOf(response, kind, id, format);
        const url = URL.createObjectURL(await response.blob());
        try {
          const link = document.createElement('a');
          link.href = url;
          link.download = name;
          link.style.display = 'none';
          document.body.append(link);
          link.click();
          link.remove();
        } finally {
          // The click has handed the blob to the download; give the browser a moment to start it.
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        }
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
