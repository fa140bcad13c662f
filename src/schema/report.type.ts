import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type {
  AnalysisReport as AnalysisReportShape,
  IncidentReport as IncidentReportShape,
  REPORT_FORMAT,
  ReportAnalysesPage as ReportAnalysesPageShape,
  ReportAnalysis as ReportAnalysisShape,
  ReportAnalysisCounts as ReportAnalysisCountsShape,
  ReportLocalRun as ReportLocalRunShape,
  ReportTemplateRef as ReportTemplateRefShape,
  ReportAuditEntry as ReportAuditEntryShape,
  ReportFrame as ReportFrameShape,
  ReportIncident as ReportIncidentShape,
  ReportIncidentContext as ReportIncidentContextShape,
  ReportPromptVersion as ReportPromptVersionShape,
  ReportReviewItem as ReportReviewItemShape,
  ReportRule as ReportRuleShape,
  ReportSampling as ReportSamplingShape,
  ReportStream as ReportStreamShape,
  ReportTenant as ReportTenantShape,
  ReportUser as ReportUserShape,
} from '../reports/report-format';

type ReportTokensShape = ReportAnalysisShape['tokens'];
type ReportActorShape = ReportAuditEntryShape['actor'];

// Each class implements its shape in report-format.ts, so a field added to the report the service
// builds does not compile until it is added here too: with every field selected, the answer is the
// report itself and its contentSha256 can be checked against it. Dates are the report's ISO strings,
// typed DateTimeISO (which gives the same string back).

@ObjectType({ description: 'The tenant a report belongs to' })
export class ReportTenant implements ReportTenantShape {
  @Field(() => ID)
  id!: string;

  @Field()
  slug!: string;

  @Field()
  name!: string;
}

@ObjectType({ description: 'The stream of a report, with any credentials in its URL masked' })
export class ReportStream implements ReportStreamShape {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'RTSP, HLS, HTTP or FILE' })
  kind!: string;

  @Field({ description: 'With any credentials masked' })
  sourceUrl!: string;
}

@ObjectType({ description: 'A kept frame of the analysed window, with the sha256 of its stored JPEG' })
export class ReportFrame implements ReportFrameShape {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  sequence!: number;

  @Field(() => Date)
  capturedAt!: string;

  @Field()
  sha256!: string;

  @Field(() => Int)
  width!: number;

  @Field(() => Int)
  height!: number;

  @Field(() => Int, {
    description: 'Near-duplicates dedup skipped between the previous kept frame and this one',
  })
  skippedBefore!: number;
}

@ObjectType({ description: 'An incident as it stood when the report was built' })
export class ReportIncident implements ReportIncidentShape {
  @Field(() => ID)
  id!: string;

  @Field()
  status!: string;

  @Field(() => String, { nullable: true })
  severity!: string | null;

  @Field(() => Float, { nullable: true })
  confidence!: number | null;

  @Field()
  summary!: string;

  @Field(() => Date)
  startAt!: string;

  @Field(() => Date)
  endAt!: string;

  @Field(() => Int)
  firings!: number;

  @Field(() => Date, { nullable: true, description: 'When it ended; null while it is open' })
  closedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'quiet, decided or superseded; null while it is open' })
  closeReason!: string | null;

  @Field(() => [ReportFrame], {
    description:
      'A bounded sample of its evidence’s frames (at most 12), in capture order, with their sha256',
  })
  keyframes!: ReportFrame[];

  @Field(() => Date)
  createdAt!: string;
}

@ObjectType({ description: 'The rule that fired, in the rule language' })
export class ReportRule implements ReportRuleShape {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  enabled!: boolean;

  @Field(() => GraphQLJSON)
  condition!: unknown;

  @Field(() => GraphQLJSON)
  action!: unknown;

  @Field(() => Int)
  cooldownSeconds!: number;

  @Field(() => Int)
  priority!: number;

  @Field(() => Date)
  updatedAt!: string;
}

@ObjectType({ description: 'The full prompt template version an analysis was made with' })
export class ReportPromptVersion implements ReportPromptVersionShape {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  templateId!: string;

  @Field(() => String, { nullable: true, description: 'Null when the template has since been deleted' })
  templateName!: string | null;

  @Field()
  systemText!: string;

  @Field()
  instructionText!: string;

  @Field(() => GraphQLJSON)
  resultSchema!: unknown;

  @Field()
  modelName!: string;

  @Field({ description: 'THINKING or INSTRUCT' })
  mode!: string;
}

@ObjectType({ description: 'The template version an analysis was made for' })
export class ReportTemplateRef implements ReportTemplateRefShape {
  @Field(() => ID, { description: 'The version’s id' })
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ID)
  templateId!: string;

  @Field(() => String, { nullable: true, description: 'Null when the template has since been deleted' })
  templateName!: string | null;
}

@ObjectType({
  description:
    'What the local CPU analyser did for an analysis no model made: its name, why the window stayed local, and its plain trace',
})
export class ReportLocalRun implements ReportLocalRunShape {
  @Field({ description: 'The local analyser (detector, classifier and tracker), never a language model' })
  analyser!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the window was analysed locally (the gate’s or the GPU fallback’s note); null when the template analyses locally',
  })
  note!: string | null;

  @Field(() => [String], { description: 'How each finding was reached, in plain words' })
  trace!: string[];
}

@ObjectType({ description: 'The sampling settings sent to the model' })
export class ReportSampling implements ReportSamplingShape {
  @Field(() => Float)
  temperature!: number;

  @Field(() => Float)
  topP!: number;

  @Field(() => Int)
  topK!: number;

  @Field(() => Float)
  presencePenalty!: number;

  @Field(() => Int)
  maxCompletionTokens!: number;

  @Field(() => Int)
  thinkingTokenBudget!: number;
}

@ObjectType({ description: 'Tokens an analysis used' })
export class ReportTokens implements ReportTokensShape {
  @Field(() => Int)
  prompt!: number;

  @Field(() => Int)
  completion!: number;

  @Field(() => Int, { description: 'Of the completion tokens, those the model spent reasoning' })
  reasoning!: number;

  @Field(() => Int)
  vision!: number;
}

@ObjectType({ description: 'The analysed window' })
export class ReportWindow implements NonNullable<ReportAnalysisShape['window']> {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  index!: number;

  @Field(() => Date)
  startAt!: string;

  @Field(() => Date)
  endAt!: string;
}

@ObjectType({
  description:
    'One analysis: a model’s (model and node, prompt version and sampling, reasoning) or the local analyser’s (its plain trace, no model settings), with its window, frames and result',
})
export class ReportAnalysis implements ReportAnalysisShape {
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    description:
      '"model" (a vision-language model made it) or "local" (the CPU analyser did: `local` is set, every model field null)',
  })
  kind!: 'model' | 'local';

  @Field()
  status!: string;

  @Field()
  mode!: string;

  @Field(() => String, { nullable: true, description: 'The model that answered; null for a local analysis' })
  model!: string | null;

  @Field(() => String, { nullable: true, description: 'The GPU node; null for a local analysis' })
  nodeName!: string | null;

  @Field(() => Date)
  startedAt!: string;

  @Field(() => Date, { nullable: true })
  completedAt!: string | null;

  @Field(() => Int)
  latencyMs!: number;

  @Field(() => String, { nullable: true })
  finishReason!: string | null;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  framesSent!: number;

  @Field(() => ReportTokens)
  tokens!: ReportTokens;

  @Field(() => ReportWindow, { nullable: true, description: 'Null when the window is no longer stored' })
  window!: ReportWindow | null;

  @Field(() => [ReportFrame], { description: 'The window’s frames in capture order' })
  frames!: ReportFrame[];

  @Field(() => [ID], { description: 'Frames of the window no longer stored (removed by retention)' })
  missingFrameIds!: string[];

  @Field(() => ReportTemplateRef, {
    nullable: true,
    description: 'Null when the version is no longer stored',
  })
  template!: ReportTemplateRef | null;

  @Field(() => ReportPromptVersion, {
    nullable: true,
    description: 'The full prompt the model read; null for a local analysis',
  })
  promptVersion!: ReportPromptVersion | null;

  @Field(() => ReportSampling, { nullable: true, description: 'Null for a local analysis' })
  sampling!: ReportSampling | null;

  @Field({ description: 'The model’s reasoning; empty for a local analysis (see local.trace)' })
  reasoning!: string;

  @Field(() => ReportLocalRun, { nullable: true, description: 'Set only for a local analysis' })
  local!: ReportLocalRun | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'The structured result (its fields depend on the template’s schema); null if unfinished',
  })
  result!: unknown;
}

@ObjectType({ description: 'A user named in a report' })
export class ReportUser implements ReportUserShape {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Null when the user has since been deleted' })
  email!: string | null;
}

@ObjectType({ description: 'The review item of an incident and the human decision on it' })
export class ReportReviewItem implements ReportReviewItemShape {
  @Field(() => ID)
  id!: string;

  @Field()
  queue!: string;

  @Field()
  status!: string;

  @Field(() => Int)
  priority!: number;

  @Field(() => String, { nullable: true })
  decision!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => Date, { nullable: true })
  decidedAt!: string | null;

  @Field(() => ReportUser, { nullable: true })
  decidedBy!: ReportUser | null;

  @Field(() => ReportUser, { nullable: true })
  assignee!: ReportUser | null;

  @Field(() => Date, { nullable: true })
  escalatedAt!: string | null;

  @Field(() => Date)
  createdAt!: string;
}

@ObjectType({ description: 'Who caused an audit event' })
export class ReportActor implements ReportActorShape {
  @Field({ description: 'user, apiKey or system' })
  type!: string;

  @Field(() => ID, { nullable: true })
  id!: string | null;

  @Field(() => String, { nullable: true, description: 'For a user that still exists' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'For an API key that still exists' })
  apiKeyName!: string | null;
}

@ObjectType({
  description: 'An audit event about the incident or its review item, with its place in the chain',
})
export class ReportAuditEntry implements ReportAuditEntryShape {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { nullable: true })
  chainIndex!: number | null;

  @Field(() => String, { nullable: true })
  hash!: string | null;

  @Field(() => Date)
  createdAt!: string;

  @Field()
  action!: string;

  @Field()
  entityType!: string;

  @Field(() => ID, { nullable: true })
  entityId!: string | null;

  @Field(() => ReportActor)
  actor!: ReportActor;

  @Field(() => GraphQLJSON, { nullable: true })
  data!: unknown;
}

@ObjectType({ description: 'How many analyses a report covers, by who made them' })
export class ReportAnalysisCounts implements ReportAnalysisCountsShape {
  @Field(() => Int)
  total!: number;

  @Field(() => Int, { description: 'Made by a vision-language model' })
  model!: number;

  @Field(() => Int, { description: 'Made by the local CPU analyser' })
  local!: number;
}

@ObjectType({ description: 'Which page of an incident report’s analyses this is, and the next one' })
export class ReportAnalysesPage implements ReportAnalysesPageShape {
  @Field(() => Int, { description: '1-based' })
  page!: number;

  @Field(() => Int)
  pages!: number;

  @Field(() => Int)
  pageSize!: number;

  @Field(() => Int, { description: 'Analyses of the whole report' })
  total!: number;

  @Field(() => Int, { description: '1-based position of the page’s first analysis (0 when none)' })
  first!: number;

  @Field(() => Int, { description: '1-based position of its last analysis (0 when none)' })
  last!: number;

  @Field(() => Int, { nullable: true, description: 'The page to ask for next; null on the last page' })
  nextPage!: number | null;
}

/** What every report starts with: its format and title, when it was made, for whom, of which stream, and its hash. */
@ObjectType()
abstract class ReportHeader {
  @Field(() => String, { description: 'vigil.report.v2' })
  format!: typeof REPORT_FORMAT;

  @Field({
    description:
      '"Chain-of-thought report" when models made its analyses; "… local analysis" when the local analyser made them all',
  })
  title!: string;

  @Field(() => Date, { description: 'When this copy was built; outside contentSha256' })
  generatedAt!: string;

  @Field(() => ReportTenant)
  tenant!: ReportTenant;

  @Field(() => ReportStream, { nullable: true, description: 'Null when the stream has since been deleted' })
  stream!: ReportStream | null;

  @Field(() => ReportAnalysisCounts)
  analysisCounts!: ReportAnalysisCounts;

  @Field({
    description:
      'sha256 (hex) over the RFC 8785 canonical JSON of the report, with every analysis of every page, without contentSha256, generatedAt and analysesPage: the same for the JSON, the PDF and this answer while the report’s content is unchanged',
  })
  contentSha256!: string;
}

@ObjectType({ description: 'An incident with its rule, human decision and audit trail' })
export class ReportIncidentContext implements ReportIncidentContextShape {
  @Field(() => ReportIncident)
  incident!: ReportIncident;

  @Field(() => ReportRule, { nullable: true, description: 'Null when the rule has since been deleted' })
  rule!: ReportRule | null;

  @Field(() => ReportReviewItem, { nullable: true })
  reviewItem!: ReportReviewItem | null;

  @Field(() => [ReportAuditEntry])
  auditEvents!: ReportAuditEntry[];
}

@ObjectType({
  description:
    'Report of an incident: its summary (incident with keyframes, rule, decision), the audit events, and a page of its analyses (each a model’s with prompt version, sampling and reasoning, or the local analyser’s with its trace), with their frames (sha256) and results',
})
export class IncidentReport extends ReportHeader implements IncidentReportShape {
  @Field(() => String, { description: 'Always "incident"' })
  kind!: 'incident';

  @Field(() => ReportIncident)
  incident!: ReportIncident;

  @Field(() => ReportRule, { nullable: true, description: 'Null when the rule has since been deleted' })
  rule!: ReportRule | null;

  @Field(() => ReportReviewItem, { nullable: true })
  reviewItem!: ReportReviewItem | null;

  @Field(() => [ReportAuditEntry])
  auditEvents!: ReportAuditEntry[];

  @Field(() => [ReportAnalysis], { description: 'This page of the analyses (see analysesPage)' })
  analyses!: ReportAnalysis[];

  @Field(() => ReportAnalysesPage)
  analysesPage!: ReportAnalysesPage;
}

@ObjectType({
  description:
    'Report of one analysis: its window, frames (sha256), prompt version, sampling and reasoning (a model’s) or trace (the local analyser’s), result, and the incidents it fired with their decisions',
})
export class AnalysisReport extends ReportHeader implements AnalysisReportShape {
  @Field(() => String, { description: 'Always "analysis"' })
  kind!: 'analysis';

  @Field(() => ReportAnalysis)
  analysis!: ReportAnalysis;

  @Field(() => [ReportIncidentContext], {
    description: 'The incidents this analysis fired into (usually one)',
  })
  incidents!: ReportIncidentContext[];
}
