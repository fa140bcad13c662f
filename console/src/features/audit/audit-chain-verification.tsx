import { useState } from 'react';
import { toast } from 'sonner';
import { describeError } from '../../api/errors';
import { formatTime } from '../../lib/format';
import { useVerifyAuditChain, type ChainVerification } from './use-audit';

/** Runs the chain check on demand and keeps its outcome (or why it could not run) for this view. */
export function useChainVerification() {
  const verifyChain = useVerifyAuditChain();
  const [verification, setVerification] = useState<ChainVerification | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  async function verify() {
    setVerifying(true);
    setVerifyError(null);
    const result = await verifyChain();
    setVerifying(false);
    if (result.error || !result.data) {
      const message = describeError(result.error) || 'No answer from the server';
      setVerification(null);
      setVerifyError(message);
      toast.error(`Chain verification failed to run: ${message}`);
      return;
    }
    const outcome = result.data.verifyAuditChain;
    setVerification(outcome);
    if (outcome.ok) toast.success(`Audit chain verified: ${outcome.eventsChecked} events intact`);
    else toast.warning(`Audit chain verified: broken at event #${outcome.firstBrokenChainIndex ?? '?'}`);
  }

  return { verification, verifyError, verifying, verify };
}

/** The "Verify chain" card: the button, the outcome (announced politely) and a way to the broken event. */
export function ChainVerificationCard({
  verification,
  verifyError,
  verifying,
  onVerify,
  onShowEvent,
}: {
  verification: ChainVerification | null;
  verifyError: string | null;
  verifying: boolean;
  onVerify: () => void;
  /** Shows the log from that chain index backwards. */
  onShowEvent: (chainIndex: number) => void;
}) {
  const brokenIndex =
    verification && !verification.ok && verification.firstBrokenEventId
      ? verification.firstBrokenChainIndex
      : null;
  return (
    <div className="card audit-verify">
      <h2 id="verify-title">Chain verification</h2>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          onClick={onVerify}
          disabled={verifying}
          aria-busy={verifying}
          aria-describedby="verify-help"
        >
          {verifying ? 'Verifying chain…' : 'Verify chain'}
        </button>
        <span id="verify-help" className="muted">
          Re-reads every event of the tenant and checks the indexes, the links and the hashes.
        </span>
      </div>
      <div role="status" aria-live="polite" aria-atomic="true" className="verify-result" id="verify-result">
        {verifying ? (
          <p>Verifying the audit chain…</p>
        ) : verifyError ? (
          <p className="error-text">Verification could not run: {verifyError}</p>
        ) : verification ? (
          verification.ok ? (
            <p className="verify-ok">
              <strong>Chain intact:</strong> {verification.eventsChecked} events verified, head{' '}
              <code title={verification.headHash ?? undefined}>
                {verification.headHash ? verification.headHash.slice(0, 12) : 'none'}
              </code>
              <span className="muted"> (checked {formatTime(verification.verifiedAt)})</span>
            </p>
          ) : (
            <p className="verify-broken">
              <strong>
                Chain broken at event #{verification.firstBrokenChainIndex ?? '?'} (
                {verification.firstBrokenEventId ?? 'unknown event'}):
              </strong>{' '}
              {verification.reason ?? 'no reason given'}
              <span className="muted">
                {' '}
                ({verification.eventsChecked} events checked, {formatTime(verification.verifiedAt)})
              </span>
            </p>
          )
        ) : (
          <p className="muted">Not verified yet in this view.</p>
        )}
      </div>
      {brokenIndex != null && (
        <p>
          <button type="button" onClick={() => onShowEvent(brokenIndex)}>
            Show event #{brokenIndex} in the log
          </button>
        </p>
      )}
    </div>
  );
}
