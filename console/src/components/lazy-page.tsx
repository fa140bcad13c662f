import { lazy, Suspense, type ComponentType } from 'react';
import { Loading } from './states';

/**
 * A page loaded on first visit: admin and auditor screens are split from the moderator's bundle,
 * so the screen a moderator keeps open all shift loads only what it uses.
 */
export function lazyPage<Name extends string>(
  load: () => Promise<Record<Name, ComponentType>>,
  name: Name,
): ComponentType {
  const Page = lazy(async (): Promise<{ default: ComponentType }> => ({ default: (await load())[name] }));
  return function LazyPage() {
    return (
      <Suspense fallback={<Loading label="Loading the page" />}>
        <Page />
      </Suspense>
    );
  };
}
