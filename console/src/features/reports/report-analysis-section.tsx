import { Link } from 'react-router';
import { StatusBadge } from '../../components/badges';
import { Fact, Facts } from '../../components/facts';
import { JsonBlock, Time } from '../../components/formatted';
import { formatEnumValue, formatMilliseconds } from '../../lib/format';
import { ReportFrames } from './report-frames';
import type { ReportAnalysis } from './reports.documents';
import type { FrameUrls } from './use-report';

/**
 * One analysis of a report, labelled with who made it: a model's (how it ran, sampling, the prompt,
 * the reasoning) or the local analyser's (its plain trace, and no model settings), with its frames
 * and result.
 */
export function ReportAnalysisSection({
  analysis,
  position,
  linkToReport,
  urls,
  urlsUnavailable,
}: {
  analysis: ReportAnalysis;
  position: string | null;
  linkToReport: boolean;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const headingId = `analysis-${analysis.id}`;
  const local = analysis.kind === 'local';
  return (
    <section className="card report-section" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Analysis{position ? ` ${position}` : ''}{' '}
        <span className={`analysis-kind ${local ? 'local' : 'model'}`}>
          — {local ? 'Local analysis' : 'Model analysis'}
        </span>{' '}
        <span className="muted mono analysis-id">{analysis.id}</span>
      </h2>
      {linkToReport && (
        <p className="no-print">
          <Link to={`/analyses/${analysis.id}/report`}>Report of this analysis alone</Link>
        </p>
      )}
      {local ? (
        <LocalAnalysisBody analysis={analysis} urls={urls} urlsUnavailable={urlsUnavailable} />
      ) : (
        <ModelAnalysisBody analysis={analysis} urls={urls} urlsUnavailable={urlsUnavailable} />
      )}
      <h3>Structured result</h3>
      {analysis.result === null || analysis.result === undefined ? (
        <p className="muted">No result (the analysis did not finish).</p>
      ) : (
        <JsonBlock value={analysis.result} />
      )}
    </section>
  );
}

/** What the local CPU analyser found and how, in its own words: no model ran, so no model settings. */
function LocalAnalysisBody({
  analysis,
  urls,
  urlsUnavailable,
}: {
  analysis: ReportAnalysis;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  const local = analysis.local;
  return (
    <>
      <p className="muted">
        Made by the local CPU analyser (object detector, NSFW classifier and tracker). No language model ran:
        there are no model settings and no model reasoning.
      </p>
      <Facts>
        <Fact label="Analyser" className="mono">
          {local?.analyser ?? '—'}
        </Fact>
        <Fact label="Why local">{local?.note ?? 'the template analyses locally'}</Fact>
        <Fact label="Status">
          <StatusBadge status={analysis.status} />
          {analysis.error && analysis.error !== local?.note && (
            <div className="error-text">{analysis.error}</div>
          )}
        </Fact>
        <Fact label="Template">
          {analysis.template
            ? `${analysis.template.templateName ?? 'Template'} version ${analysis.template.version}`
            : '—'}
        </Fact>
        <Fact label="Started">
          <Time iso={analysis.startedAt} />
        </Fact>
        <Fact label="Latency">{formatMilliseconds(analysis.latencyMs)}</Fact>
        <WindowFact window={analysis.window} />
      </Facts>
      <ReportFrames analysis={analysis} urls={urls} urlsUnavailable={urlsUnavailable} />
      <h3>How the local analyser reached it</h3>
      {local && local.trace.length > 0 ? (
        <ol className="report-trace">
          {local.trace.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ol>
      ) : (
        <p className="muted">This result carries no trace.</p>
      )}
    </>
  );
}

/** What a model found: how it ran, its sampling, the prompt it read and its reasoning. */
function ModelAnalysisBody({
  analysis,
  urls,
  urlsUnavailable,
}: {
  analysis: ReportAnalysis;
  urls: FrameUrls;
  urlsUnavailable: boolean;
}) {
  return (
    <>
      <div className="report-columns">
        <div>
          <h3>Model and run</h3>
          <RunFacts analysis={analysis} />
        </div>
        <div>
          <h3>Sampling settings</h3>
          <SamplingFacts sampling={analysis.sampling} />
          <h3>Tokens</h3>
          <Facts>
            <Fact label="Prompt">{analysis.tokens.prompt}</Fact>
            <Fact label="Completion">
              {analysis.tokens.completion}{' '}
              <span className="muted">(of which reasoning {analysis.tokens.reasoning})</span>
            </Fact>
            <Fact label="Vision">{analysis.tokens.vision}</Fact>
            <Fact label="Frames sent">{analysis.framesSent}</Fact>
          </Facts>
        </div>
      </div>
      <ReportFrames analysis={analysis} urls={urls} urlsUnavailable={urlsUnavailable} />
      <PromptVersion version={analysis.promptVersion} />
      <h3>Reasoning</h3>
      {analysis.reasoning ? (
        <pre className="code-block report-reasoning">{analysis.reasoning}</pre>
      ) : (
        <p className="muted">No reasoning recorded (an Instruct model).</p>
      )}
    </>
  );
}

function RunFacts({ analysis }: { analysis: ReportAnalysis }) {
  return (
    <Facts>
      <Fact label="Model" className="mono">
        {analysis.model ?? '—'}
      </Fact>
      <Fact label="Node" className="mono">
        {analysis.nodeName ?? '—'}
      </Fact>
      <Fact label="Mode">{formatEnumValue(analysis.mode)}</Fact>
      <Fact label="Status">
        <StatusBadge status={analysis.status} />
        {analysis.error && <div className="error-text">{analysis.error}</div>}
      </Fact>
      <Fact label="Finish reason">{analysis.finishReason ?? '—'}</Fact>
      <Fact label="Attempts">{analysis.attempts}</Fact>
      <Fact label="Started">
        <Time iso={analysis.startedAt} />
      </Fact>
      <Fact label="Completed">
        <Time iso={analysis.completedAt} />
      </Fact>
      <Fact label="Latency">{formatMilliseconds(analysis.latencyMs)}</Fact>
      <WindowFact window={analysis.window} />
    </Facts>
  );
}

function SamplingFacts({ sampling }: { sampling: ReportAnalysis['sampling'] }) {
  if (!sampling) return <p className="muted">The prompt template version is no longer stored.</p>;
  return (
    <Facts>
      <Fact label="Temperature">{sampling.temperature}</Fact>
      <Fact label="Top p">{sampling.topP}</Fact>
      <Fact label="Top k">{sampling.topK}</Fact>
      <Fact label="Presence penalty">{sampling.presencePenalty}</Fact>
      <Fact label="Max completion tokens">{sampling.maxCompletionTokens}</Fact>
      <Fact label="Thinking budget">{sampling.thinkingTokenBudget} tokens</Fact>
    </Facts>
  );
}

/** The full prompt the analysis was made with, folded (it opens for printing). */
function PromptVersion({ version }: { version: ReportAnalysis['promptVersion'] }) {
  return (
    <>
      <h3>Prompt template</h3>
      {version ? (
        <details>
          <summary>
            {version.templateName ?? 'Template'} version {version.version}{' '}
            <span className="muted">
              ({version.modelName}, {formatEnumValue(version.mode)}; version id{' '}
              <span className="mono">{version.id}</span>)
            </span>
          </summary>
          <h4>System text</h4>
          <pre className="code-block">{version.systemText}</pre>
          <h4>Instruction text</h4>
          <pre className="code-block">{version.instructionText}</pre>
          <h4>Result schema</h4>
          <JsonBlock value={version.resultSchema} />
        </details>
      ) : (
        <p className="muted">The prompt template version is no longer stored.</p>
      )}
    </>
  );
}

/** The analysed window, by its index and time span (nothing when the window row is gone). */
function WindowFact({ window }: { window: ReportAnalysis['window'] }) {
  if (!window) return null;
  return (
    <Fact label="Window">
      #{window.index}: <Time iso={window.startAt} /> – <Time iso={window.endAt} />
    </Fact>
  );
}
