import { NavLink, Outlet } from 'react-router';
import { can } from '../auth/roles';
import { useSignedIn } from '../auth/session';

interface NavEntry {
  to: string;
  label: string;
}

function navigationFor(
  role: ReturnType<typeof useSignedIn>['user']['role'],
  platformAdmin: boolean,
): NavEntry[] {
  const entries: NavEntry[] = [];
  if (can.moderate(role)) entries.push({ to: '/queue', label: 'Review queue' });
  entries.push({ to: '/streams', label: 'Streams' });
  if (can.audit(role))
    entries.push({ to: '/incidents', label: 'Incidents' }, { to: '/audit', label: 'Audit log' });
  if (can.administer(role)) {
    entries.push(
      { to: '/admin/templates', label: 'Templates' },
      { to: '/admin/rules', label: 'Rules' },
      { to: '/admin/users', label: 'Users' },
      { to: '/admin/api-keys', label: 'API keys' },
      { to: '/admin/webhooks', label: 'Webhooks' },
    );
    if (platformAdmin) entries.push({ to: '/admin/nodes', label: 'GPU nodes' });
  }
  return entries;
}

/** The frame around every signed-in screen: navigation by role, who is signed in, sign-out. */
export function AppShell() {
  const { user, tenantSlug, signOut } = useSignedIn();
  const entries = navigationFor(user.role, user.isPlatformAdmin);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Vigil</span>
        <nav aria-label="Main">
          <ul>
            {entries.map((entry) => (
              <li key={entry.to}>
                <NavLink to={entry.to}>{entry.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="whoami">
          <span>
            {user.email} · {user.role.toLowerCase()} · {tenantSlug}
          </span>
          <NavLink to="/account/password">Change password</NavLink>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
