import { useEffect, useRef, type ReactNode } from 'react';
import { trapTab } from './modal-frame';

/**
 * A modal question before an action that cannot be taken back. The page behind it is inert while
 * it is open; Tab and Shift+Tab stay inside it; Enter confirms (the confirm button has the focus)
 * and Escape cancels. Nothing happens until the person chooses.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger = false,
  busy = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      confirm.current?.focus();
    } else if (!open && element.open) element.close();
  }, [open]);

  function onKeyDown(event: React.KeyboardEvent<HTMLDialogElement>) {
    // Keys pressed here are the dialog's: the page's single-key shortcuts must not see them.
    event.stopPropagation();
    trapTab(event, dialog.current);
  }

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      onKeyDown={onKeyDown}
    >
      {open && (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            if (!busy) onConfirm();
          }}
        >
          <h2 id="confirm-dialog-title">{title}</h2>
          <div className="confirm-body">{children}</div>
          <div className="toolbar confirm-actions">
            <button type="button" onClick={onCancel}>
              Cancel <kbd>Esc</kbd>
            </button>
            <button ref={confirm} type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
              {confirmLabel} <kbd>Enter</kbd>
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
