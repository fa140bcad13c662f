import { graphql } from '../../api/graphql';

export const LabelVocabularyQuery = graphql(`
  query LabelVocabulary {
    myTenant {
      id
      customLabels
      labelVocabulary
    }
  }
`);

export const SetCustomLabelsMutation = graphql(`
  mutation SetCustomLabels($labels: [String!]!) {
    setCustomLabels(labels: $labels) {
      id
      customLabels
      labelVocabulary
    }
  }
`);
