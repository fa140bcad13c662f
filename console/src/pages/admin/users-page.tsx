import { UserManagement } from '../../features/users/user-management';

export function UsersPage() {
  return <UserManagement />;
}
