import { graphql, type ResultOf } from '../../api/graphql';

/**
 * The report's fields the report page shows. The report carries no image URLs
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

const ReportFrameFields = graphql(`
  fragment ReportFrameFields on ReportFrame {
    id
    sequence
    capturedAt
    sha256
    width
    height
    skippedBefore
  }
`);

const ReportIncidentFields = graphql(
  `
    fragment ReportIncidentFields on ReportIncident {
      id
      status
      severity
      confidence
      summary
      startAt
      endAt
      firings
      closedAt
      closeReason
      keyframes {
        ...ReportFrameFields
      }
      createdAt
    }
  `,
  [ReportFrameFields],
);

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

const ReportAnalysisFields = graphql(
  `
    fragment ReportAnalysisFields on ReportAnalysis {
      id
      kind
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
        ...ReportFrameFields
      }
      missingFrameIds
      template {
        id
        version
        templateName
      }
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
      local {
        analyser
        note
        trace
      }
      result
    }
  `,
  [ReportFrameFields],
);

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
    query IncidentReport($incidentId: ID!, $page: Int) {
      incidentReport(incidentId: $incidentId, page: $page) {
        format
        title
        generatedAt
        contentSha256
        analysisCounts {
          total
          model
          local
        }
        analysesPage {
          page
          pages
          pageSize
          total
          first
          last
          nextPage
        }
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
        title
        generatedAt
        contentSha256
        analysisCounts {
          total
          model
          local
        }
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

/** The signed URLs of an incident's keyframes and of its evidence windows' frames, 100 firings at a time. */
export const IncidentFrameUrlsQuery = graphql(`
  query IncidentFrameUrls($incidentId: ID!, $after: String) {
    incident(incidentId: $incidentId) {
      id
      keyframes {
        id
        url
      }
      evidence(first: 100, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
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

export type ReportAnalysesPage = ResultOf<typeof IncidentReportQuery>['incidentReport']['analysesPage'];

/** What the report page shows of either kind of report. */
export interface ReportContent {
  kind: 'incident' | 'analysis';
  format: string;
  title: string;
  generatedAt: string;
  contentSha256: string;
  analysisCounts: { total: number; model: number; local: number };
  /** Which page of an incident's analyses this is; null for an analysis report. */
  analysesPage: ReportAnalysesPage | null;
  tenant: Fields<ResultOf<typeof ReportTenantFields>>;
  stream: ReportStream | null;
  contexts: ReportIncidentContext[];
  analyses: ReportAnalysis[];
}

export function incidentReportContent(
  report: ResultOf<typeof IncidentReportQuery>['incidentReport'],
): ReportContent {
  const { incident, rule, reviewItem, auditEvents, analyses, analysesPage, ...header } = report;
  return {
    ...header,
    kind: 'incident',
    analysesPage,
    contexts: [{ incident, rule, reviewItem, auditEvents }],
    analyses,
  };
}

export function analysisReportContent(
  report: ResultOf<typeof AnalysisReportQuery>['analysisReport'],
): ReportContent {
  const { analysis, incidents, ...header } = report;
  return { ...header, kind: 'analysis', analysesPage: null, contexts: incidents, analyses: [analysis] };
}
