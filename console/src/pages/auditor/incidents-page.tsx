import { IncidentList } from '../../features/incidents/incident-list';

export function IncidentsPage() {
  return <IncidentList />;
}
