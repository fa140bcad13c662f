import { TemplateList } from '../../features/templates/template-list';

export function TemplatesPage() {
  return <TemplateList />;
}
