import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

/** Keeps Tab and Shift+Tab among the focusable controls inside `container`. */
export function trapTab(event: KeyboardEvent, container: HTMLElement | null): void {
  if (event.key !== 'Tab' || !container) return;
  const focusable = [
    ...container.querySelectorAll<HTMLElement>(
      'button:not([disabled]), [href], textarea, input, select, [tabindex]:not([tabindex="-1"])',
    ),
  ];
  const first = focusable[0];
  const last = focusable.at(-1);
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * A modal viewer (an enlarged frame): the page behind is inert, the focus stays inside, Escape or
 * the Close button closes it, and other keys go to `onKey` (not to the page's shortcuts).
 */
export function ModalFrame({
  open,
  label,
  onClose,
  onKey,
  children,
}: {
  open: boolean;
  label: string;
  onClose: () => void;
  onKey?: (key: string) => void;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      close.current?.focus();
    } else if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      className="modal-frame"
      aria-label={label}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        event.stopPropagation();
        trapTab(event, dialog.current);
        onKey?.(event.key);
      }}
    >
      {open && (
        <>
          <div className="toolbar modal-frame-bar">
            <span>{label}</span>
            <button ref={close} type="button" onClick={onClose}>
              Close <kbd>Esc</kbd>
            </button>
          </div>
          {children}
        </>
      )}
    </dialog>
  );
}
