import { graphql } from '../../api/graphql';

/** An incident's evidence clip; asking for it builds it when missing or stale (seconds). */
export const IncidentClipQuery = graphql(`
  query IncidentClip($incidentId: ID!) {
    incident(incidentId: $incidentId) {
      id
      clip {
        url
        urlExpiresAt
        sha256
        bytes
        frames
        builtAt
      }
    }
  }
`);
