// The layering of src/, checked by `npm run lint` (dependency-cruiser). A folder may import only
// folders of its own layer or of the layers below it, and no import cycle is allowed anywhere.
// Lowest layer first; README's "Architecture" section says what each folder owns.
const LAYERS = [
  // Plain building blocks: no I/O of their own.
  ['config', 'errors', 'logging', 'generated', 'process', 'util', 'templates', 'net', 'scene'],
  // Ports to the outside: PostgreSQL, Redis, the frame store, pub/sub, job queues, ffmpeg, metrics,
  // credentials and permissions.
  ['db', 'redis', 'storage', 'pubsub', 'jobs', 'media', 'metrics', 'auth'],
  // The audit chain, which every owner appends to in its own transaction.
  ['audit'],
  // The owners of state: each writes its rows together with their audit event and live event.
  ['streams', 'review', 'incidents', 'webhooks'],
  // The engines: sampling, the GPU and local inference clients, window analysis, rules, reports,
  // incidents' evidence (clips).
  ['ingest', 'inference', 'analysis', 'rules', 'reports', 'evidence'],
  // Use cases, called by resolvers, the CLI and workers.
  ['services'],
  ['schema'],
  ['resolvers'],
  // The composition root: builds the services of one process.
  ['composition'],
  // Processes: the API edge, the workers, the CLI, the demo.
  ['api', 'workers', 'cli', 'demo'],
];

const folder = (name) => `^src/${name}/`;
const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flat();
  if (above.length === 0) return [];
  return [
    {
      name: `layer-${layer.join('-')}`,
      comment: `${layer.join(', ')} must not import a higher layer (${above.join(', ')})`,
      severity: 'error',
      from: { path: `^src/(${layer.join('|')})/` },
      to: { path: `^src/(${above.join('|')})/` },
    },
  ];
});

const known = new Set(LAYERS.flat());

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycle',
      comment: 'Import cycles make a layer impossible to read on its own',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'unlayered-folder',
      comment: 'Every folder under src/ belongs to a layer in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${[...known].join('|')})/` },
      to: {},
    },
    {
      name: 'bullmq-behind-jobs',
      comment: 'Only the job registry adapter and the worker processes talk to BullMQ',
      severity: 'error',
      from: { path: '^src/', pathNot: `${folder('jobs')}|${folder('workers')}` },
      to: { path: 'node_modules/bullmq/' },
    },
    {
      name: 'local-detector-threads-in-workers',
      comment:
        'Only worker processes (and the demo, through startWorker) start the local detector threads: the API never loads the models',
      severity: 'error',
      from: { path: '^src/', pathNot: `${folder('workers')}|${folder('inference/local')}` },
      to: { path: '^src/inference/local/(detector-pool|frame-detector[.]thread)[.]ts$' },
    },
    {
      name: 'console-without-server-source',
      comment: 'The console talks to the server through GraphQL only',
      severity: 'error',
      from: { path: '^console/' },
      to: { path: '^(src|prisma)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a type is as much a dependency of the design as a value.
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
