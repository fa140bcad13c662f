import { graphql } from '../../api/graphql';

const PolicyReasonFields = graphql(`
  fragment AdminPolicyReasonFields on PolicyReason {
    id
    label
    policy
    decisions
    archivedAt
  }
`);

export const AdminPolicyReasonsQuery = graphql(
  `
    query AdminPolicyReasons {
      policyReasons(includeArchived: true) {
        ...AdminPolicyReasonFields
      }
    }
  `,
  [PolicyReasonFields],
);

export const CreatePolicyReasonMutation = graphql(
  `
    mutation CreatePolicyReason($input: PolicyReasonInput!) {
      createPolicyReason(input: $input) {
        ...AdminPolicyReasonFields
      }
    }
  `,
  [PolicyReasonFields],
);

export const ArchivePolicyReasonMutation = graphql(
  `
    mutation ArchivePolicyReason($policyReasonId: ID!) {
      archivePolicyReason(policyReasonId: $policyReasonId) {
        ...AdminPolicyReasonFields
      }
    }
  `,
  [PolicyReasonFields],
);
