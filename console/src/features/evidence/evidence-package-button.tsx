import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { useEvidencePackageDownload } from './use-evidence-package-download';

/**
 * "Evidence package": the incident's zip (clip, keyframes, report JSON and PDF, audit proof,
 * manifest) for auditors and admins; nothing for other roles, whom the API would refuse.
 */
export function EvidencePackageButton({ incidentId }: { incidentId: string }) {
  const { user } = useSignedIn();
  const { download, busy } = useEvidencePackageDownload(incidentId);
  if (!can.audit(user.role)) return null;
  return (
    <button type="button" onClick={() => void download()} disabled={busy} aria-busy={busy}>
      {busy ? 'Packaging evidence…' : 'Evidence package'}
    </button>
  );
}
