import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Provider as UrqlProvider } from 'urql';
import { createVigilClient } from '../api/client';
import { LogoutMutation } from './auth.documents';

export type Role = 'ADMIN' | 'MODERATOR' | 'AUDITOR';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
  isPlatformAdmin: boolean;
}

export interface Session {
  token: string;
  expiresAt: string;
  tenantSlug: string;
  user: SessionUser;
  /** After an admin reset the password: the session may only change it. */
  passwordChangeRequired?: boolean;
}

interface SessionContextValue {
  session: Session | null;
  signIn(session: Session): void;
  /** Ends the session on the server (best effort) and locally. */
  signOut(): Promise<void>;
}

const STORAGE_KEY = 'vigil.session';
const SessionContext = createContext<SessionContextValue | null>(null);

function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    return new Date(session.expiresAt).getTime() > Date.now() ? session : null;
  } catch {
    return null;
  }
}

/**
 * The signed-in user and the GraphQL client that carries their token. The session lives in
 * localStorage, shared by the browser's tabs, so an item opened in a new tab is signed in too;
 * signing in or out in one tab does the same in the others (the storage event). It ends at its
 * expiry, at sign-out, or when the API refuses the token (4401/4403 on the live connection).
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);

  // Ends `token`'s session here, unless another has replaced it meanwhile: a password change
  // answers a new session while the API closes the old one's live connection.
  const clear = useCallback((token?: string) => {
    const stored = loadSession();
    if (token && stored && stored.token !== token) return;
    localStorage.removeItem(STORAGE_KEY);
    setSession((current) => (token && current && current.token !== token ? current : null));
  }, []);

  // Another tab signed in or out: follow it.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === STORAGE_KEY) setSession(loadSession());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const token = session?.token;
  const client = useMemo(() => (token ? createVigilClient(token, () => clear(token)) : null), [token, clear]);
  useEffect(() => () => client?.dispose(), [client]);

  const signIn = useCallback((next: Session) => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setSession(next);
  }, []);

  const signOut = useCallback(async () => {
    if (client)
      await client.urql
        .mutation(LogoutMutation, {})
        .toPromise()
        .catch(() => undefined);
    clear();
  }, [client, clear]);

  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
  return (
    <SessionContext.Provider value={value}>
      {client ? <UrqlProvider value={client.urql}>{children}</UrqlProvider> : children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for components rendered behind the login. */
export function useSignedIn(): Session & { signOut(): Promise<void> } {
  const { session, signOut } = useSession();
  if (!session) throw new Error('useSignedIn without a session');
  return { ...session, signOut };
}
