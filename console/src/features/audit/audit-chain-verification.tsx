import { useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import { describeError } from '../../api/errors';
import { formatTime } from '../../lib/format';
import { useAuditChainVerificationJob, type ChainVerification, type ChainVerificationRun } from './use-audit';

/** How often a running verification's progress is read. */
const PROGRESS_EVERY_MS = 700;

/**
 * Runs the chain check on demand as a job in a worker, follows its progress, and keeps its outcome
 * (or why it could not run) for this view.
 */
export function useChainVerification() {
  const job = useAuditChainVerificationJob();
  const [run, setRun] = useState<ChainVerificationRun | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // An answer that arrives after the view is gone neither schedules another read nor toasts.
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      clearTimeout(timer.current ?? undefined);
    };
  }, []);

  function settle(current: ChainVerificationRun) {
    setRun(current);
    if (current.status === 'QUEUED' || current.status === 'RUNNING') {
      timer.current = setTimeout(() => void follow(current.id), PROGRESS_EVERY_MS);
      return;
    }
    const outcome = current.result;
    if (current.status === 'FAILED' || !outcome) {
      const message = current.error ?? 'the verification did not finish';
      setVerifyError(message);
      toast.error(`Chain verification failed to run: ${message}`);
    } else if (outcome.ok) toast.success(`Audit chain verified: ${outcome.eventsChecked} events intact`);
    else toast.warning(`Audit chain verified: broken at event #${outcome.firstBrokenChainIndex ?? '?'}`);
  }

  function failed(error: Parameters<typeof describeError>[0]) {
    const message = describeError(error) || 'No answer from the server';
    setRun(null);
    setVerifyError(message);
    toast.error(`Chain verification failed to run: ${message}`);
  }

  async function follow(verificationId: string) {
    const result = await job.read(verificationId);
    if (!mounted.current) return;
    if (result.error || !result.data) failed(result.error);
    else settle(result.data.auditChainVerification);
  }

  async function verify() {
    clearTimeout(timer.current ?? undefined);
    setVerifyError(null);
    setRun(null);
    const result = await job.start();
    if (!mounted.current) return;
    if (result.error || !result.data) failed(result.error);
    else settle(result.data.startAuditChainVerification);
  }

  const verifying = run !== null && (run.status === 'QUEUED' || run.status === 'RUNNING');
  const verification: ChainVerification | null = run?.status === 'DONE' ? run.result : null;
  return { run, verification, verifyError, verifying, verify };
}

/** The "Verify chain" card: the button, the progress and outcome (announced politely), a way to the broken event. */
export function ChainVerificationCard({
  run,
  verification,
  verifyError,
  verifying,
  onVerify,
  onShowEvent,
}: {
  run: ChainVerificationRun | null;
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
          Re-reads every event of the tenant in a worker and checks the indexes, the links, the hashes and the
          signed anchors.
        </span>
      </div>
      <div role="status" aria-live="polite" aria-atomic="true" className="verify-result" id="verify-result">
        {verifying && run ? (
          <p>
            {run.status === 'QUEUED' ? 'Verification queued…' : 'Verifying the audit chain…'}{' '}
            <progress
              value={run.eventsChecked}
              max={Math.max(run.eventsTotal, run.eventsChecked, 1)}
              aria-label="Events checked"
            />{' '}
            {run.eventsChecked} of {run.eventsTotal} events checked
          </p>
        ) : verifyError ? (
          <p className="error-text">Verification could not run: {verifyError}</p>
        ) : verification ? (
          <>
            {verification.ok ? (
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
            )}
            <p className="muted" data-testid="verify-protection">
              {verification.keyed
                ? `Keyed: hashes are MACs under a key held outside the database${verification.unkeyedEvents ? ` (${verification.unkeyedEvents} older events plain sha256)` : ''}.`
                : 'Not keyed: hashes are plain sha256, which anyone able to write to the database could recompute.'}{' '}
              {verification.anchorsChecked > 0
                ? `${verification.anchorsChecked} signed anchors checked.`
                : 'No signed anchor checked.'}
            </p>
          </>
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
