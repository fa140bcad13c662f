import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Toaster } from 'sonner';
import { can } from './auth/roles';
import { SessionProvider, useSession } from './auth/session';
import { AppShell } from './components/app-shell';
import { LoginPage } from './pages/login-page';
import { PasswordPage } from './pages/account/password-page';
import { PasswordRequiredPage } from './pages/account/password-required-page';
import { NotFoundPage } from './pages/not-found-page';
import { adminRoutes } from './pages/admin/admin-routes';
import { auditorRoutes } from './pages/auditor/auditor-routes';
import { reviewRoutes } from './pages/review/review-routes';
import { streamRoutes } from './pages/streams/stream-routes';

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <Screens />
      </BrowserRouter>
      <Toaster position="bottom-right" richColors closeButton duration={4000} />
    </SessionProvider>
  );
}

function Screens() {
  const { session } = useSession();
  if (!session) return <LoginPage />;
  if (session.passwordChangeRequired) return <PasswordRequiredPage />;
  const role = session.user.role;
  const home = can.moderate(role) ? '/queue' : '/incidents';
  return (
    <Routes>
      <Route element={<AppShell />}>
        <Route index element={<Navigate to={home} replace />} />
        {streamRoutes()}
        {reviewRoutes(role)}
        {adminRoutes(role)}
        {auditorRoutes(role)}
        <Route path="account/password" element={<PasswordPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
