import { graphql } from '../../api/graphql';

export const TemplatesQuery = graphql(`
  query AdminTemplates {
    promptTemplates(first: 100) {
      edges {
        node {
          id
          name
          description
          updatedAt
          activeVersion {
            id
            version
            modelName
            mode
          }
        }
      }
    }
  }
`);

export const CreatePromptTemplateMutation = graphql(`
  mutation CreatePromptTemplate($input: CreatePromptTemplateInput!) {
    createPromptTemplate(input: $input) {
      id
      name
    }
  }
`);

export const TemplateVersionFields = graphql(`
  fragment AdminTemplateVersionFields on PromptTemplateVersion {
    id
    version
    createdAt
    systemText
    instructionText
    resultSchema
    modelName
    mode
    temperature
    topP
    topK
    presencePenalty
    maxCompletionTokens
    thinkingTokenBudget
    gateObjects
    gateNsfw
    gateMinConfidence
    reanalyseDegraded
  }
`);

export const TemplateQuery = graphql(`
  query AdminTemplate($id: ID!) {
    promptTemplate(templateId: $id) {
      id
      name
      description
      updatedAt
      activeVersion {
        id
        version
      }
      versions(first: 100) {
        edges {
          node {
            id
            version
            createdAt
            modelName
            mode
          }
        }
      }
    }
  }
`);

export const TemplateVersionQuery = graphql(
  `
    query AdminTemplateVersion($versionId: ID!) {
      promptTemplateVersion(versionId: $versionId) {
        ...AdminTemplateVersionFields
      }
    }
  `,
  [TemplateVersionFields],
);

export const AddTemplateVersionMutation = graphql(`
  mutation AddPromptTemplateVersion($templateId: ID!, $input: PromptTemplateVersionInput!) {
    addPromptTemplateVersion(templateId: $templateId, input: $input) {
      id
      version
    }
  }
`);

export const ActivateTemplateVersionMutation = graphql(`
  mutation ActivatePromptTemplateVersion($versionId: ID!) {
    activatePromptTemplateVersion(versionId: $versionId) {
      id
      activeVersion {
        id
        version
      }
    }
  }
`);

export const PromptPreviewQuery = graphql(`
  query PromptPreview($versionId: ID!, $variables: JSONObject, $streamId: ID) {
    promptPreview(versionId: $versionId, variables: $variables, streamId: $streamId) {
      systemText
      instructionText
      variables
      filledByVigil
      streamName
      missingVariables
      unusedVariables
    }
  }
`);

export const PreviewStreamsQuery = graphql(`
  query PreviewStreams {
    streams(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

export const TemplateChoicesQuery = graphql(`
  query StreamTemplateChoices {
    promptTemplates(first: 100) {
      edges {
        node {
          id
          name
          createdAt
        }
      }
    }
    myTenant {
      id
      defaultTemplateId
    }
  }
`);

export const SetDefaultTemplateMutation = graphql(`
  mutation SetDefaultTemplate($templateId: ID) {
    setDefaultTemplate(templateId: $templateId) {
      id
      defaultTemplateId
    }
  }
`);
