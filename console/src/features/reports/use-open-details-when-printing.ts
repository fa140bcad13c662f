import { useEffect } from 'react';

/** Closed <details> do not print; a printed report shows the prompt in full. */
export function useOpenDetailsWhenPrinting() {
  useEffect(() => {
    const opened: HTMLDetailsElement[] = [];
    const before = () => {
      document.querySelectorAll<HTMLDetailsElement>('.report details:not([open])').forEach((details) => {
        details.open = true;
        opened.push(details);
      });
    };
    const after = () => {
      opened.splice(0).forEach((details) => (details.open = false));
    };
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
    };
  }, []);
}
