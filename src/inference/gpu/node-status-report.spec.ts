import {
  aggregateNodeReports,
  NO_REPORT,
  parseWorkerNodeReport,
  reportedConfigNodes,
  WorkerNodeReport,
} from './node-status-report';

const node = (name: string, overrides: Partial<WorkerNodeReport['nodes'][number]> = {}) => ({
  name,
  healthy: true,
  breaker: 'closed' as const,
  outstanding: 0,
  running: null,
  waiting: null,
  kvCacheUsage: null,
  lastError: null,
  definition: null,
  ...overrides,
});

const definition = {
  url: 'http://gpu-a:8000',
  model: 'qwen3-vl-8b-thinking',
  source: 'config' as const,
  state: 'ACTIVE' as const,
  maxConcurrency: 8,
  weight: 1,
  hasApiKey: true,
};

const report = (workerId: string, at: number, nodes: WorkerNodeReport['nodes']): WorkerNodeReport => ({
  workerId,
  at: new Date(at),
  nodes,
});

describe('parseWorkerNodeReport', () => {
  it('reads a worker’s JSON report with an ISO or epoch `at`, keeping the fields it uses', () => {
    const json = JSON.stringify({
      workerId: 'w1',
      at: '2026-01-02T03:04:05.000Z',
      nodes: [{ ...node('gpu-a', { outstanding: 3 }), url: 'http://x', servedModels: ['m'] }],
    });
    expect(parseWorkerNodeReport(json)).toEqual({
      workerId: 'w1',
      at: new Date('2026-01-02T03:04:05.000Z'),
      nodes: [node('gpu-a', { outstanding: 3 })],
    });
    expect(parseWorkerNodeReport(JSON.stringify({ workerId: 'w2', at: 1000, nodes: [] }))?.at).toEqual(
      new Date(1000),
    );
  });

  it.each([
    null,
    '',
    'not json',
    '[]',
    '{"workerId":"w","nodes":[]}',
    '{"workerId":"w","at":"never","nodes":[]}',
  ])('answers null for %j', (json) => {
    expect(parseWorkerNodeReport(json)).toBeNull();
  });

  it('leaves out a node entry without a name and defaults unreadable fields', () => {
    const parsed = parseWorkerNodeReport(
      JSON.stringify({
        workerId: 'w',
        at: 5,
        nodes: [{ healthy: true }, { name: 'gpu-b', breaker: 'melted', outstanding: -4, running: 'many' }],
      }),
    );
    expect(parsed?.nodes).toEqual([node('gpu-b', { healthy: null })]);
  });
});

describe('reportedConfigNodes', () => {
  it('reads how each worker defines its nodes, never a key, and lists its VLLM_NODES ones as the latest report says', () => {
    const parsed = parseWorkerNodeReport(
      JSON.stringify({
        workerId: 'w1',
        at: 2_000,
        nodes: [
          { ...node('gpu-a'), ...definition, apiKey: 'must-not-appear', servedModels: ['m'] },
          { ...node('gpu-r'), ...definition, source: 'registry' },
          node('gpu-old-worker'),
        ],
      }),
    )!;
    expect(parsed.nodes[0]!.definition).toEqual(definition);
    expect(JSON.stringify(parsed)).not.toContain('must-not-appear');
    expect(parsed.nodes[2]!.definition).toBeNull();
    const older = report('w2', 1_000, [
      node('gpu-a', { definition: { ...definition, url: 'http://stale:8000' } }),
    ]);
    const nodes = reportedConfigNodes([parsed, older]);
    expect([...nodes.keys()]).toEqual(['gpu-a']);
    expect(nodes.get('gpu-a')).toEqual({ name: 'gpu-a', ...definition });
  });
});

describe('aggregateNodeReports', () => {
  it('answers nothing for no reports', () => {
    expect(aggregateNodeReports([]).size).toBe(0);
  });

  it('folds workers’ views: any healthy, worst breaker, summed outstanding, highest load', () => {
    const statuses = aggregateNodeReports([
      report('w1', 1_000, [
        node('gpu-a', {
          healthy: false,
          breaker: 'half-open',
          outstanding: 2,
          running: 3,
          waiting: null,
          kvCacheUsage: 0.5,
          lastError: 'old',
        }),
      ]),
      report('w2', 3_000, [
        node('gpu-a', { breaker: 'open', outstanding: 5, running: 1, waiting: 7, lastError: 'new' }),
      ]),
      report('w3', 2_000, [node('gpu-a', { outstanding: 1, kvCacheUsage: 0.1, lastError: 'middle' })]),
    ]);
    expect(statuses.get('gpu-a')).toEqual({
      workersReporting: 3,
      healthy: true,
      breaker: 'open',
      outstanding: 8,
      running: 3,
      waiting: 7,
      kvCacheUsage: 0.5,
      lastError: 'new',
      reportedAt: new Date(3_000),
    });
  });

  it('is unhealthy only when some worker says so and none sees it healthy; null when no one knows', () => {
    const statuses = aggregateNodeReports([
      report('w1', 1, [node('down', { healthy: false }), node('unknown', { healthy: null })]),
      report('w2', 2, [node('down', { healthy: null }), node('unknown', { healthy: null })]),
    ]);
    expect(statuses.get('down')?.healthy).toBe(false);
    expect(statuses.get('unknown')?.healthy).toBeNull();
  });

  it('keeps the error of the most recent report that has one, whatever the order of reports', () => {
    const statuses = aggregateNodeReports([
      report('w1', 9_000, [node('gpu-a', { lastError: null })]),
      report('w2', 5_000, [node('gpu-a', { lastError: 'recent' })]),
      report('w3', 1_000, [node('gpu-a', { lastError: 'ancient' })]),
    ]);
    expect(statuses.get('gpu-a')?.lastError).toBe('recent');
    expect(statuses.get('gpu-a')?.reportedAt).toEqual(new Date(9_000));
  });

  it('counts a worker once per node and keeps nodes apart', () => {
    const statuses = aggregateNodeReports([
      report('w1', 1, [node('gpu-a', { outstanding: 1 }), node('gpu-a', { outstanding: 1 }), node('gpu-b')]),
    ]);
    expect(statuses.get('gpu-a')).toMatchObject({ workersReporting: 1, outstanding: 1 });
    expect(statuses.get('gpu-b')).toMatchObject({ workersReporting: 1, breaker: 'closed' });
    expect(NO_REPORT).toMatchObject({ workersReporting: 0, healthy: null, breaker: null });
  });
});
