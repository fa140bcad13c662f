import type { ReactNode } from 'react';

/** “Label: value” facts about one thing (a rule, an analysis, a decision), as a definition list. */
export function Facts({ children }: { children: ReactNode }) {
  return <dl className="facts">{children}</dl>;
}

/** One fact of a `Facts` list. */
export function Fact({
  label,
  className,
  testId,
  children,
}: {
  label: ReactNode;
  className?: string;
  /** For tests that read one value exactly. */
  testId?: string;
  children: ReactNode;
}) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={className} data-testid={testId}>
        {children}
      </dd>
    </>
  );
}
