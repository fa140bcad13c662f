import { useCallback, useState } from 'react';
import { toast } from 'sonner';
import { useSignedIn } from '../../auth/session';

/** "403 Forbidden: Your role does not allow this operation (FORBIDDEN)", from the API's error body. */
async function failureOf(response: Response): Promise<string> {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const body = (await response.json()) as {
      errors?: { message?: string; extensions?: { code?: string } }[];
    };
    const first = body.errors?.[0];
    if (first?.message)
      return `${status}: ${first.message}${first.extensions?.code ? ` (${first.extensions.code})` : ''}`;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return status;
}

/**
 * Downloads an incident's evidence package (GET /incidents/<id>/evidence.zip with the session's
 * token) and hands it to the browser as a file; the outcome is told with a toast.
 */
export function useEvidencePackageDownload(incidentId: string) {
  const { token } = useSignedIn();
  const [busy, setBusy] = useState(false);

  const download = useCallback(async () => {
    setBusy(true);
    try {
      const response = await fetch(`/incidents/${encodeURIComponent(incidentId)}/evidence.zip`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!response.ok) {
        toast.error(`Evidence package failed: ${await failureOf(response)}`);
        return;
      }
      const disposition = response.headers.get('content-disposition') ?? '';
      const name =
        /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? `vigil-incident-${incidentId}-evidence.zip`;
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
      toast.success(`Evidence package downloaded: ${name}`);
    } catch (error) {
      toast.error(`Evidence package failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  }, [incidentId, token]);

  return { download, busy };
}
