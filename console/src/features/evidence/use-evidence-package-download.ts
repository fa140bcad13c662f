import { useCallback, useState } from 'react';
import { toast } from 'sonner';
import { useSignedIn } from '../../auth/session';
import { failureOf, saveAsFile, suggestedFileName } from '../../lib/file-download';

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
      const name = suggestedFileName(response, `vigil-incident-${incidentId}-evidence.zip`);
      await saveAsFile(response, name);
      toast.success(`Evidence package downloaded: ${name}`);
    } catch (error) {
      toast.error(`Evidence package failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  }, [incidentId, token]);

  return { download, busy };
}
