import { createPrivateKey } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { isCocoLabel, unknownLabelMessage } from '../scene/object-labels';
import { parseConfiguredNodes } from './node-definition';

/**
 * The one place that reads the environment. Everything else receives a validated AppConfig,
 * so a bad value stops start-up with the variable's name instead of failing later.
 */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** The lowest object score the configuration accepts, globally or for one label. */
const MIN_OBJECT_SCORE = 0.05;

/**
 * `label=score` pairs separated by commas (`person=0.35,fire hydrant=0.6`): COCO labels spelt as the
 * detector reports them, each at most once, scores from 0.05 to 1. Every problem is reported, not
 * only the first.
 */
export const minScoreByLabelSchema = z.string().transform((text, ctx): Readonly<Record<string, number>> => {
  const scores: Record<string, number> = {};
  for (const entry of text.split(',')) {
    const pair = entry.trim();
    if (pair === '') continue;
    const equals = pair.lastIndexOf('=');
    const label = equals < 0 ? '' : pair.slice(0, equals).trim();
    const value = equals < 0 ? '' : pair.slice(equals + 1).trim();
    const score = Number(value);
    let problem: string | null = null;
    if (label === '' || value === '') problem = `"${pair.slice(0, 60)}" is not label=score`;
    else if (!isCocoLabel(label)) {
      problem = unknownLabelMessage(label);
    } else if (!(score >= MIN_OBJECT_SCORE && score <= 1)) {
      problem = `${label}: the score must be a number from ${MIN_OBJECT_SCORE} to 1, not "${value.slice(0, 20)}"`;
    } else if (Object.hasOwn(scores, label)) problem = `${label} is given more than once`;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else scores[label] = score;
  }
  return Object.freeze(scores);
});

/** A key that MACs audit events: its id is stored on every event it hashed. */
export interface AuditMacKey {
  id: string;
  secret: string;
}

const MAC_KEY_ID = /^[A-Za-z0-9._-]{1,40}$/;
const MIN_MAC_SECRET = 32;

/**
 * `id=secret` pairs separated by commas (`2026a=…,2026b=…`): ids of letters, digits, `.`, `_` or
 * `-`, each at most once; secrets of at least 32 characters. The last pair is the one new events
 * are hashed with; the others stay to verify what they hashed (rotation appends a pair).
 */
export const auditMacKeysSchema = z.string().transform((text, ctx): readonly AuditMacKey[] => {
  const keys: AuditMacKey[] = [];
  for (const entry of text.split(',')) {
    const pair = entry.trim();
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const id = equals < 0 ? '' : pair.slice(0, equals).trim();
    const secret = equals < 0 ? '' : pair.slice(equals + 1).trim();
    let problem: string | null = null;
    if (!MAC_KEY_ID.test(id))
      problem = `"${id.slice(0, 40)}" is not a key id (letters, digits, . _ -; up to 40)`;
    else if (secret.length < MIN_MAC_SECRET)
      problem = `${id}: the secret must have at least ${MIN_MAC_SECRET} characters`;
    else if (keys.some((key) => key.id === id)) problem = `${id} is given more than once`;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else keys.push({ id, secret });
  }
  return Object.freeze(keys);
});

/** An Ed25519 private key in PEM (PKCS#8); `\n` may stand for the line breaks of a one-line value. */
const anchorPrivateKeySchema = z
  .string()
  .transform((text) => text.replace(/\\n/g, '\n').trim())
  .refine((pem) => {
    if (pem === '') return true;
    try {
      return createPrivateKey(pem).asymmetricKeyType === 'ed25519';
    } catch {
      return false;
    }
  }, 'must be an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)');

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/vigil'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  AUTH_NEGATIVE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(8),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(10).default(20000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(15),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(3000),
  // Unset: on outside production (see loadConfig).
  GRAPHQL_INTROSPECTION: booleanFromEnv.optional(),
  REQUEST_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(100 * 1024),
  RATE_LIMIT_API_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_SESSION_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_LOGIN_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  LOGIN_KNOWN_ADDRESS_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(20),
  SUBSCRIPTIONS_PER_CREDENTIAL: z.coerce.number().int().min(1).default(100),
  SUBSCRIPTION_REPLAY_LIMIT: z.coerce.number().int().min(1).max(1000).default(200),
  ALLOW_FILE_SOURCES: booleanFromEnv.default(false),
  FILE_SOURCE_ROOT: z.string().default(''),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  SOURCE_MAX_PIXELS: z.coerce
    .number()
    .int()
    .min(64 * 64)
    .default(7680 * 4320),
  FFMPEG_MEMORY_LIMIT_MB: z.coerce.number().int().min(0).default(1024),
  FRAME_STORE_DIR: z.string().min(1).default('var/frames'),
  CONSOLE_DIR: z.string().default(''),
  FRAME_URL_SECRET: z.string().default(''),
  PUBLIC_URL: z
    .string()
    .default('')
    .refine(
      (value) => value === '' || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(value),
      'must be an http(s) URL',
    ),
  CLIP_FONT_FILE: z.string().default(''),
  FRAME_STORE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.string().default(''),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().default(''),
  S3_ACCESS_KEY_ID: z.string().default(''),
  S3_SECRET_ACCESS_KEY: z.string().default(''),
  S3_FORCE_PATH_STYLE: booleanFromEnv.default(true),
  DEDUP_KEEP_EVERY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SOURCE_SILENCE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000),
  STREAM_LEASE_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  SUPERVISOR_TICK_MS: z.coerce.number().int().min(100).max(10_000).default(1_000),
  WORKER_MAX_STREAMS: z.coerce.number().int().min(1).default(16),
  ADAPTIVE_BACKLOG_WINDOWS: z.coerce.number().int().min(1).default(50),
  ADAPTIVE_MIN_FPS: z.coerce.number().min(0.05).max(5).default(0.2),
  INFERENCE_MODE: z.enum(['local', 'vlm']).default('local'),
  VLLM_NODES: z.string().default('[]'),
  INFERENCE_NODE_KEY_SECRET: z.string().default(''),
  INFERENCE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(180_000),
  INFERENCE_IDLE_TIMEOUT_MS: z.coerce.number().int().min(500).default(30_000),
  INFERENCE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  INFERENCE_MAX_REASONING_CHARS: z.coerce.number().int().min(1_000).default(262_144),
  INFERENCE_MAX_ANSWER_CHARS: z.coerce.number().int().min(1_000).default(65_536),
  NODE_POLL_INTERVAL_MS: z.coerce.number().int().min(200).default(3_000),
  NODE_BREAKER_FAILURES: z.coerce.number().int().min(1).default(3),
  NODE_BREAKER_OPEN_MS: z.coerce.number().int().min(100).default(15_000),
  ANALYSIS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(64),
  LOCAL_NSFW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  LOCAL_NSFW_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(3_000),
  LOCAL_MIN_OBJECT_SCORE: z.coerce.number().min(MIN_OBJECT_SCORE).max(1).default(0.4),
  LOCAL_MIN_SCORE_BY_LABEL: minScoreByLabelSchema.default(Object.freeze({})),
  LOCAL_DETECTOR_THREADS: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(() => os.availableParallelism()),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_TOKEN: z.string().default(''),
  WEBHOOK_SECRET_KEY: z.string().default(''),
  WEBHOOK_ALLOW_PRIVATE_URLS: booleanFromEnv.default(false),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(10_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  AUDIT_VERIFY_INLINE_MAX_EVENTS: z.coerce.number().int().min(0).default(10_000),
  AUDIT_MAC_KEYS: auditMacKeysSchema.default(Object.freeze([])),
  AUDIT_ANCHOR_PRIVATE_KEY: anchorPrivateKeySchema.default(''),
  AUDIT_ANCHOR_EVERY_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  AUDIT_ANCHOR_LOCK_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
});

type ParsedConfig = z.infer<typeof configSchema>;

export type AppConfig = Readonly<
  Omit<ParsedConfig, 'GRAPHQL_INTROSPECTION'> & {
    /** Whether introspection and "did you mean" suggestions are served. */
    GRAPHQL_INTROSPECTION: boolean;
  }
>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty or blank values mean "not set", so `FOO= npm run demo` falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value?.trim()));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  if (parsed.data.FRAME_STORE === 's3') {
    const missing = (['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter(
      (name) => !parsed.data[name],
    );
    if (missing.length) {
      throw new ConfigError(`Invalid configuration: ${missing.join(', ')}: required when FRAME_STORE is s3`);
    }
  }
  if (parsed.data.ALLOW_FILE_SOURCES && parsed.data.FILE_SOURCE_ROOT === '') {
    throw new ConfigError(
      'Invalid configuration: FILE_SOURCE_ROOT: required when ALLOW_FILE_SOURCES is true',
    );
  }
  try {
    parseConfiguredNodes(parsed.data.VLLM_NODES);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: VLLM_NODES: ${(error as Error).message}`);
  }
  return Object.freeze({
    ...parsed.data,
    // What a schema tells strangers is worth keeping from them in production.
    GRAPHQL_INTROSPECTION: parsed.data.GRAPHQL_INTROSPECTION ?? parsed.data.NODE_ENV !== 'production',
  });
}

/** Every variable with its default and purpose; the README's configuration table is checked against it. */
export const CONFIG_DOCS: Record<keyof ParsedConfig, string> = {
  NODE_ENV: 'development, production or test',
  DATABASE_URL: 'PostgreSQL connection URL',
  REDIS_URL: 'Redis connection URL (queues, pub/sub, rate limits)',
  HOST: 'interface the API listens on',
  PORT: 'port of the API (HTTP and, later, WebSocket)',
  LOG_LEVEL: 'pino log level',
  SESSION_TTL_HOURS: 'lifetime of a login session token',
  AUTH_CACHE_TTL_MS:
    'how long an API process remembers a verified credential (0 turns the cache off; revocations apply at once)',
  AUTH_NEGATIVE_CACHE_TTL_MS:
    'how long an API process remembers a refused credential, answering it again without a database look-up (0: never)',
  GRAPHQL_MAX_DEPTH: 'deepest selection a GraphQL operation may have',
  GRAPHQL_MAX_COST: 'highest estimated cost of one GraphQL operation',
  GRAPHQL_MAX_ALIASES: 'most aliases in one GraphQL operation',
  GRAPHQL_MAX_TOKENS: 'most lexical tokens in one GraphQL document',
  GRAPHQL_INTROSPECTION:
    'whether schema introspection and field suggestions ("did you mean") are served (unset: not in production)',
  REQUEST_BODY_LIMIT_BYTES: 'largest accepted HTTP request body',
  RATE_LIMIT_API_KEY_PER_MINUTE: 'GraphQL requests per minute per API key',
  RATE_LIMIT_SESSION_PER_MINUTE: 'GraphQL requests per minute per login session',
  RATE_LIMIT_LOGIN_PER_MINUTE:
    'failed logins per minute per account from addresses it has not signed in from (together), and from each address it has',
  RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE:
    'failed logins per minute from one client address (an IPv6 /64), across accounts',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE:
    'requests per minute from one client address without a valid credential: anonymous GraphQL requests (login too) and refused credentials',
  LOGIN_KNOWN_ADDRESS_DAYS:
    'how long an account remembers an address it signed in from, which keeps a login budget of its own there',
  SUBSCRIPTIONS_PER_CONNECTION: 'most GraphQL subscriptions one WebSocket may hold at once',
  SUBSCRIPTIONS_PER_CREDENTIAL:
    'most GraphQL subscriptions one session or API key may hold at once in one API process',
  SUBSCRIPTION_REPLAY_LIMIT:
    'most missed events one subscribe may replay from its `after` cursor (more is refused: REPLAY_TOO_LONG)',
  ALLOW_FILE_SOURCES: 'whether tenants may register file:// stream sources',
  FILE_SOURCE_ROOT: 'the only folder file sources may point into (required with ALLOW_FILE_SOURCES)',
  SHUTDOWN_TIMEOUT_MS: 'how long a graceful shutdown may take before the process exits',
  FFMPEG_PATH: 'the ffmpeg binary the samplers run (Debian’s package; found on PATH by default)',
  SOURCE_MAX_PIXELS: 'largest picture a sampler decodes, in pixels (default 8K); larger ones fail the source',
  FFMPEG_MEMORY_LIMIT_MB:
    'most memory one sampler’s ffmpeg may map, set with prlimit from util-linux (0: no limit)',
  FRAME_STORE_DIR: 'folder where kept frames are stored',
  CONSOLE_DIR: 'folder of the console build the API serves (empty: dist/console of the project)',
  FRAME_STORE:
    'where frames are stored: local (FRAME_STORE_DIR) or s3 (an S3-compatible store such as MinIO)',
  S3_ENDPOINT: 'URL of the S3-compatible store (empty: AWS S3)',
  S3_REGION: 'region of the S3 store',
  S3_BUCKET: 'bucket for frames (required with FRAME_STORE=s3)',
  S3_ACCESS_KEY_ID: 'access key of the S3 store (required with FRAME_STORE=s3)',
  S3_SECRET_ACCESS_KEY: 'secret key of the S3 store (required with FRAME_STORE=s3)',
  S3_FORCE_PATH_STYLE: 'path-style bucket URLs, as MinIO wants',
  FRAME_URL_SECRET:
    'key that signs frame URLs; set the same value on every API process (empty: a random key per process)',
  PUBLIC_URL:
    'the API as partners reach it: incident webhooks then carry a signed clip link (empty: no link)',
  CLIP_FONT_FILE:
    'the font burnt-in capture times are drawn with in incident clips (Debian’s fonts-dejavu-core)',
  DEDUP_KEEP_EVERY_SECONDS: 'keep at least one frame this often even when nothing changes',
  SOURCE_SILENCE_TIMEOUT_MS:
    'a live source that sends no frame for this long is treated as failed and retried',
  STREAM_LEASE_MS: 'how long a worker owns a stream without a heartbeat (take-over time after a crash)',
  SUPERVISOR_TICK_MS: 'how often workers look for streams to start, pause or stop, and renew their leases',
  WORKER_MAX_STREAMS: 'most streams one worker process samples at once',
  ADAPTIVE_BACKLOG_WINDOWS: 'queued windows of a tenant above which its streams sample more slowly',
  ADAPTIVE_MIN_FPS: 'the lowest effective fps adaptive sampling goes down to',
  INFERENCE_MODE:
    'local: every window is analysed by the CPU detector (no GPU needed); vlm: GPU nodes, with the local gate and fallback',
  VLLM_NODES:
    'GPU nodes as JSON: [{"name","url","apiKey","model","maxConcurrency","weight"}]; more can be registered through GraphQL',
  INFERENCE_NODE_KEY_SECRET:
    'key that encrypts the API keys of nodes registered through GraphQL (empty: such nodes cannot have a key)',
  INFERENCE_REQUEST_TIMEOUT_MS: 'longest one request to a GPU node may take, thinking included',
  INFERENCE_IDLE_TIMEOUT_MS: 'a node that sends nothing for this long during a request is treated as hung',
  INFERENCE_MAX_ATTEMPTS:
    'attempts per window on GPU nodes (5xx, timeouts, refused connections) before it fails',
  INFERENCE_MAX_REASONING_CHARS:
    'most characters of reasoning kept per request; past it the request is aborted and the analysis fails (finish reason reasoning_cap)',
  INFERENCE_MAX_ANSWER_CHARS:
    'most characters of an answer (the JSON result) kept per request; past it the request is aborted and the analysis fails (content_cap)',
  NODE_POLL_INTERVAL_MS: "how often each worker reads every node's /health, /v1/models and /metrics",
  NODE_BREAKER_FAILURES: "consecutive failures that open a node's circuit breaker",
  NODE_BREAKER_OPEN_MS: 'how long an open breaker waits before a half-open probe',
  ANALYSIS_CONCURRENCY: 'windows one worker process analyses at once (across all nodes)',
  LOCAL_NSFW_THRESHOLD: 'NSFW class probability above which the local detector reports an anomaly',
  LOCAL_NSFW_INTERVAL_MS:
    "how often the local analyser's NSFW classifier looks at a stream's frames (0: every frame); frames between carry its classes",
  LOCAL_MIN_OBJECT_SCORE: 'score below which the local detector drops an object (CenterNet, COCO-80)',
  LOCAL_MIN_SCORE_BY_LABEL:
    'per-label scores that replace LOCAL_MIN_OBJECT_SCORE for those labels, e.g. person=0.35,fire hydrant=0.6',
  LOCAL_DETECTOR_THREADS:
    'worker threads that run the local detector, each with its own copy of the models (~200 MB each)',
  WORKER_METRICS_PORT: "port of the worker's /metrics (Prometheus; 0 picks a free port)",
  METRICS_TOKEN:
    "bearer token Prometheus sends to the API's /metrics (empty: /metrics answers loopback callers only)",
  WEBHOOK_SECRET_KEY:
    'key that encrypts webhook signing secrets; the same value on the API and every worker (empty: webhook endpoints cannot be created)',
  WEBHOOK_ALLOW_PRIVATE_URLS:
    'whether webhook URLs may point at loopback, private or link-local addresses (development and tests only)',
  WEBHOOK_MAX_ATTEMPTS: 'delivery attempts per webhook event before it is DEAD (retryable through GraphQL)',
  WEBHOOK_BACKOFF_MS: 'delay before the second delivery attempt; it doubles on every further attempt',
  WEBHOOK_TIMEOUT_MS: 'longest one webhook request may take before it counts as a failed attempt',
  AUDIT_VERIFY_INLINE_MAX_EVENTS:
    'longest audit chain `verifyAuditChain` checks inline (longer: AUDIT_CHAIN_TOO_LONG; start a verification job instead)',
  AUDIT_MAC_KEYS:
    'keys that MAC audit events (HMAC-SHA256), as id=secret pairs (secrets of 32+ characters); the last one writes, the others verify; the same value on API, workers and CLI (empty: plain sha256, verification says keyed: false)',
  AUDIT_ANCHOR_PRIVATE_KEY:
    'Ed25519 private key (PEM) that signs the anchors of every tenant’s chain head, written to the frame store (empty: no anchors); its public key is published by GraphQL auditAnchorKey',
  AUDIT_ANCHOR_EVERY_MINUTES: 'how often a tenant’s chain head is anchored while it moves',
  AUDIT_ANCHOR_LOCK_DAYS:
    'with FRAME_STORE=s3, anchors are written with S3 Object Lock (COMPLIANCE) for this many days; the bucket must have Object Lock on (0: no lock)',
};
