import { graphql, type ResultOf } from '../../api/graphql';

/**
 * The chain-of-thought report's fields the report page shows. The report carries no image URLs
 * (it is an archive of hashes); the signed frame URLs come from the incident or window instead.
 */
const ReportTenantFields = graphql(`
  fragment ReportTenantFields on ReportTenant {
    name
    slug
  }
`);

const ReportStreamFields = graphql(`
  fragment ReportStreamFields on ReportStream {
    id
    name
    kind
    sourceUrl
  }
`);

const ReportIncidentFields = graphql(`
  fragment ReportIncidentFields on ReportIncident {
    id
    status
    severity
    confidence
    summary
    startAt
    endAt
    firings
    createdAt
  }
`);

const ReportRuleFields = graphql(`
  fragment ReportRuleFields on ReportRule {
    id
    name
    enabled
    condition
    action
    cooldownSeconds
    priority
    updatedAt
  }
`);

const ReportUserFields = graphql(`
  fragment ReportUserFields on ReportUser {
    id
    email
  }
`);

const ReportReviewItemFields = graphql(
  `
    fragment ReportReviewItemFields on ReportReviewItem {
      id
      queue
      status
      decision
      reason
      notes
      decidedAt
      decidedBy {
        ...ReportUserFields
      }
      assignee {
        ...ReportUserFields
      }
      escalatedAt
      createdAt
    }
  `,
  [ReportUserFields],
);

const ReportAuditEntryFields = graphql(`
  fragment ReportAuditEntryFields on ReportAuditEntry {
    id
    chainIndex
    hash
    createdAt
    action
    entityType
    actor {
      type
      id
      email
      apiKeyName
    }
  }
`);

const ReportAnalysisFields = graphql(`
  fragment ReportAnalysisFields on ReportAnalysis {
    id
    status
    mode
    model
    nodeName
    startedAt
    completedAt
    latencyMs
    finishReason
    attempts
    error
    framesSent
    tokens {
      prompt
      completion
      reasoning
      vision
    }
    window {
      id
      index
      startAt
      endAt
    }
    frames {
      id
      sequence
      capturedAt
      sha256
      width
      height
      skippedBefore
    }
    missingFrameIds
    promptVersion {
      id
      version
      templateName
      systemText
      instructionText
      resultSchema
      modelName
      mode
    }
    sampling {
      temperature
      topP
      topK
      presencePenalty
      maxCompletionTokens
      thinkingTokenBudget
    }
    reasoning
    result
  }
`);

/** An incident with its rule, decision and audit trail, as an analysis report lists them. */
const ReportIncidentContextFields = graphql(
  `
    fragment ReportIncidentContextFields on ReportIncidentContext {
      incident {
        ...ReportIncidentFields
      }
      rule {
        ...ReportRuleFields
      }
      reviewItem {
        ...ReportReviewItemFields
      }
      auditEvents {
        ...ReportAuditEntryFields
      }
    }
  `,
  [ReportIncidentFields, ReportRuleFields, ReportReviewItemFields, ReportAuditEntryFields],
);

export const IncidentReportQuery = graphql(
  `
    query IncidentReport($incidentId: ID!) {
      incidentReport(incidentId: $incidentId) {
        format
        generatedAt
        contentSha256
        tenant {
          ...ReportTenantFields
        }
        stream {
          ...ReportStreamFields
        }
        incident {
          ...ReportIncidentFields
        }
        rule {
          ...ReportRuleFields
        }
        reviewItem {
          ...ReportReviewItemFields
        }
        auditEvents {
          ...ReportAuditEntryFields
        }
        analyses {
          ...ReportAnalysisFields
        }
      }
    }
  `,
  [
    ReportTenantFields,
    ReportStreamFields,
    ReportIncidentFields,
    ReportRuleFields,
    ReportReviewItemFields,
    ReportAuditEntryFields,
    ReportAnalysisFields,
  ],
);

export const AnalysisReportQuery = graphql(
  `
    query AnalysisReport($analysisId: ID!) {
      analysisReport(analysisId: $analysisId) {
        format
        generatedAt
        contentSha256
        tenant {
          ...ReportTenantFields
        }
        stream {
          ...ReportStreamFields
        }
        analysis {
          ...ReportAnalysisFields
        }
        incidents {
          ...ReportIncidentContextFields
        }
      }
    }
  `,
  [ReportTenantFields, ReportStreamFields, ReportAnalysisFields, ReportIncidentContextFields],
);

export const IncidentFrameUrlsQuery = graphql(`
  query IncidentFrameUrls($incidentId: ID!) {
    incident(incidentId: $incidentId) {
      id
      evidence(first: 100) {
        edges {
          node {
            id
            window {
              id
              frames {
                id
                url
              }
            }
          }
        }
      }
    }
  }
`);

export const WindowFrameUrlsQuery = graphql(`
  query WindowFrameUrls($windowId: ID!) {
    window(windowId: $windowId) {
      id
      frames {
        id
        url
      }
    }
  }
`);

type Fields<Fragment> = Omit<Fragment, ' $fragmentName'>;

export type ReportStream = Fields<ResultOf<typeof ReportStreamFields>>;
export type ReportAnalysis = Fields<ResultOf<typeof ReportAnalysisFields>>;
export type ReportIncident = Fields<ResultOf<typeof ReportIncidentFields>>;
export type ReportRule = Fields<ResultOf<typeof ReportRuleFields>>;
export type ReportReviewItem = Fields<ResultOf<typeof ReportReviewItemFields>>;
export type ReportAuditEntry = Fields<ResultOf<typeof ReportAuditEntryFields>>;

/** An incident with its rule, decision and audit trail: the whole of an incident report, or one of an analysis report's. */
export type ReportIncidentContext = Fields<ResultOf<typeof ReportIncidentContextFields>>;

/** What the report page shows of either kind of report. */
export interface ReportContent {
  kind: 'incident' | 'analysis';
  format: string;
  generatedAt: string;
  contentSha256: string;
  tenant: Fields<ResultOf<typeof ReportTenantFields>>;
  stream: ReportStream | null;
  contexts: ReportIncidentContext[];
  analyses: ReportAnalysis[];
}

export function incidentReportContent(
  report: ResultOf<typeof IncidentReportQuery>['incidentReport'],
): ReportContent {
  const { incident, rule, reviewItem, auditEvents, analyses, ...header } = report;
  return {
    ...header,
    kind: 'incident',
    contexts: [{ incident, rule, reviewItem, auditEvents }],
    analyses,
  };
}

export function analysisReportContent(
  report: ResultOf<typeof AnalysisReportQuery>['analysisReport'],
): ReportContent {
  const { analysis, incidents, ...header } = report;
  return { ...header, kind: 'analysis', contexts: incidents, analyses: [analysis] };
}
