import { useCallback } from 'react';
import { useClient, useQuery } from 'urql';
import type { ResultOf, VariablesOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import {
  ActivateTemplateVersionMutation,
  AddTemplateVersionMutation,
  CreatePromptTemplateMutation,
  PromptPreviewQuery,
  PreviewStreamsQuery,
  SetDefaultTemplateMutation,
  TemplateChoicesQuery,
  TemplateQuery,
  TemplatesQuery,
  TemplateVersionFields,
  TemplateVersionQuery,
} from './templates.documents';

export type TemplateVersion = ResultOf<typeof TemplateVersionFields>;
export type TemplateVersionSummary = ResultOf<
  typeof TemplateQuery
>['promptTemplate']['versions']['edges'][number]['node'];
export type PromptPreview = ResultOf<typeof PromptPreviewQuery>['promptPreview'];

/** The tenant's prompt templates with their active versions. */
export function useTemplates() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: TemplatesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { templates: data?.promptTemplates.edges.map((edge) => edge.node), fetching, error, refresh };
}

/**
 * The templates a stream may use, and the one a new stream gets by default: the tenant's default
 * template, else its oldest (as the API chooses when none is named); null when there is none.
 */
export function useTemplateChoices() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: TemplateChoicesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const templates = data?.promptTemplates.edges.map((edge) => edge.node);
  const chosen = templates?.find((template) => template.id === data?.myTenant.defaultTemplateId);
  const oldest = [...(templates ?? [])].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id),
  )[0];
  const defaultTemplateId = chosen?.id ?? oldest?.id ?? null;
  return { templates, defaultTemplateId, fetching, error, refresh };
}

/** Creates a template; its first version is active at once. */
export function useCreatePromptTemplate() {
  return useMutationToast(
    CreatePromptTemplateMutation,
    (result) => `Template “${result.createPromptTemplate.name}” created; its first version is active`,
  );
}

/** One template with the summary of its versions. */
export function useTemplate(templateId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TemplateQuery,
    variables: { id: templateId },
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { template: data?.promptTemplate, fetching, error, refresh };
}

/** Every field of one version (the editor starts from it). */
export function useTemplateVersion(versionId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TemplateVersionQuery,
    variables: { versionId },
  });
  return {
    version: data?.promptTemplateVersion,
    fetching,
    error,
    retry: () => refetch({ requestPolicy: 'network-only' }),
  };
}

/** Adds an immutable version (not activated). */
export function useAddTemplateVersion(refresh?: () => void) {
  return useMutationToast(
    AddTemplateVersionMutation,
    (result) => `Version ${result.addPromptTemplateVersion.version} saved; activate it to use it`,
    refresh,
  );
}

/** Makes a version the one analyses use. */
export function useActivateTemplateVersion(refresh?: () => void) {
  return useMutationToast(
    ActivateTemplateVersionMutation,
    (result) => `Version ${result.activatePromptTemplateVersion.activeVersion?.version ?? ''} is now active`,
    refresh,
  );
}

/** Renders a saved version with sample variables, as the model would receive it (on demand). */
/** Makes a template the one new streams get when none is named. */
export function useSetDefaultTemplate(refresh?: () => void) {
  return useMutationToast(SetDefaultTemplateMutation, 'New streams now get this template', refresh);
}

/** The streams whose name a preview may use for {{streamName}}. */
export function usePreviewStreams() {
  const [{ data }] = useQuery({ query: PreviewStreamsQuery });
  return data?.streams.edges.map((edge) => edge.node) ?? [];
}

export function usePromptPreview() {
  const client = useClient();
  return useCallback(
    (variables: VariablesOf<typeof PromptPreviewQuery>) =>
      client.query(PromptPreviewQuery, variables, { requestPolicy: 'network-only' }).toPromise(),
    [client],
  );
}
