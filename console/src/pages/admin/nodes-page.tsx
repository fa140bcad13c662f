import { GpuNodeManagement } from '../../features/gpu-nodes/gpu-node-management';

export function NodesPage() {
  return <GpuNodeManagement />;
}
