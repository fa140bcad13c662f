import { useEffect, useRef } from 'react';

/**
 * Single-key shortcuts for a screen. Keys typed into a field, or pressed with Ctrl/Alt/Meta, are
 * left alone so that typing a note never triggers a decision. A handler receives the event, so
 * Shift variants ("submit and next") can be told apart.
 */
export function useKeyboardShortcuts(bindings: Record<string, (event: KeyboardEvent) => void>): void {
  const current = useRef(bindings);
  current.current = bindings;
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)))
        return;
      // Enter on a focused button or link belongs to that control.
      if (event.key === 'Enter' && target && ['BUTTON', 'A'].includes(target.tagName)) return;
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      const handler = current.current[key];
      if (!handler) return;
      event.preventDefault();
      handler(event);
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
