import { useParams } from 'react-router';
import { TemplateDetails } from '../../features/templates/template-details';

export function TemplatePage() {
  const { templateId = '' } = useParams();
  return <TemplateDetails templateId={templateId} />;
}
