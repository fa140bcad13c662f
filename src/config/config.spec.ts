import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_DOCS, ConfigError, loadConfig } from './config';
import { projectRoot } from './project-root';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('answers the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vigil',
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOST: '0.0.0.0',
      PORT: 4000,
      LOG_LEVEL: 'info',
      SESSION_TTL_HOURS: 12,
      AUTH_CACHE_TTL_MS: 5000,
      AUTH_NEGATIVE_CACHE_TTL_MS: 5000,
      GRAPHQL_MAX_DEPTH: 8,
      GRAPHQL_MAX_COST: 20000,
      GRAPHQL_MAX_ALIASES: 15,
      GRAPHQL_MAX_TOKENS: 3000,
      GRAPHQL_INTROSPECTION: true,
      REQUEST_BODY_LIMIT_BYTES: 102400,
      RATE_LIMIT_API_KEY_PER_MINUTE: 1200,
      RATE_LIMIT_SESSION_PER_MINUTE: 1200,
      RATE_LIMIT_LOGIN_PER_MINUTE: 10,
      RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: 30,
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: 60,
      LOGIN_KNOWN_ADDRESS_DAYS: 30,
      SUBSCRIPTIONS_PER_CONNECTION: 20,
      SUBSCRIPTIONS_PER_CREDENTIAL: 100,
      SUBSCRIPTION_REPLAY_LIMIT: 200,
      ALLOW_FILE_SOURCES: false,
      FILE_SOURCE_ROOT: '',
      SHUTDOWN_TIMEOUT_MS: 10000,
      FFMPEG_PATH: 'ffmpeg',
      SOURCE_MAX_PIXELS: 33177600,
      FFMPEG_MEMORY_LIMIT_MB: 1024,
      FRAME_STORE_DIR: 'var/frames',
      CONSOLE_DIR: '',
      FRAME_URL_SECRET: '',
      PUBLIC_URL: '',
      CLIP_FONT_FILE: '',
      FRAME_STORE: 'local',
      S3_ENDPOINT: '',
      S3_REGION: 'us-east-1',
      S3_BUCKET: '',
      S3_ACCESS_KEY_ID: '',
      S3_SECRET_ACCESS_KEY: '',
      S3_FORCE_PATH_STYLE: true,
      DEDUP_KEEP_EVERY_SECONDS: 60,
      SOURCE_SILENCE_TIMEOUT_MS: 15000,
      STREAM_LEASE_MS: 10000,
      SUPERVISOR_TICK_MS: 1000,
      WORKER_MAX_STREAMS: 16,
      ADAPTIVE_BACKLOG_WINDOWS: 50,
      ADAPTIVE_MIN_FPS: 0.2,
      INFERENCE_MODE: 'local',
      VLLM_NODES: '[]',
      INFERENCE_NODE_KEY_SECRET: '',
      INFERENCE_REQUEST_TIMEOUT_MS: 180_000,
      INFERENCE_IDLE_TIMEOUT_MS: 30_000,
      INFERENCE_MAX_ATTEMPTS: 4,
      INFERENCE_MAX_REASONING_CHARS: 262_144,
      INFERENCE_MAX_ANSWER_CHARS: 65_536,
      NODE_POLL_INTERVAL_MS: 3_000,
      NODE_BREAKER_FAILURES: 3,
      NODE_BREAKER_OPEN_MS: 15_000,
      ANALYSIS_CONCURRENCY: 64,
      LOCAL_NSFW_THRESHOLD: 0.7,
      LOCAL_NSFW_INTERVAL_MS: 3000,
      LOCAL_MIN_OBJECT_SCORE: 0.4,
      LOCAL_MIN_SCORE_BY_LABEL: {},
      LOCAL_DETECTOR_THREADS: os.availableParallelism(),
      WORKER_METRICS_PORT: 9464,
      METRICS_TOKEN: '',
      WEBHOOK_SECRET_KEY: '',
      WEBHOOK_ALLOW_PRIVATE_URLS: false,
      WEBHOOK_MAX_ATTEMPTS: 6,
      WEBHOOK_BACKOFF_MS: 10_000,
      WEBHOOK_TIMEOUT_MS: 10_000,
      AUDIT_VERIFY_INLINE_MAX_EVENTS: 10_000,
      AUDIT_MAC_KEYS: [],
      AUDIT_ANCHOR_PRIVATE_KEY: '',
      AUDIT_ANCHOR_EVERY_MINUTES: 15,
      AUDIT_ANCHOR_LOCK_DAYS: 0,
    });
  });

  it('returns a frozen object without unrelated variables', () => {
    const config = loadConfig({ PATH: '/usr/bin', HOME: '/root' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config).not.toHaveProperty('PATH');
    expect(config).not.toHaveProperty('HOME');
  });

  it('coerces numbers', () => {
    const config = loadConfig({
      PORT: '8080',
      SESSION_TTL_HOURS: '1.5',
      GRAPHQL_MAX_DEPTH: '12',
      REQUEST_BODY_LIMIT_BYTES: '2048',
      SHUTDOWN_TIMEOUT_MS: '500',
    });
    expect(config.PORT).toBe(8080);
    expect(config.SESSION_TTL_HOURS).toBe(1.5);
    expect(config.GRAPHQL_MAX_DEPTH).toBe(12);
    expect(config.REQUEST_BODY_LIMIT_BYTES).toBe(2048);
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(500);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads the boolean %s as %s', (value, expected) => {
    expect(loadConfig({ GRAPHQL_INTROSPECTION: value }).GRAPHQL_INTROSPECTION).toBe(expected);
    expect(
      loadConfig({ ALLOW_FILE_SOURCES: value, FILE_SOURCE_ROOT: '/srv/videos' }).ALLOW_FILE_SOURCES,
    ).toBe(expected);
  });

  it('keeps valid strings and enums', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/vigil',
      REDIS_URL: 'rediss://cache:6380',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/vigil',
      REDIS_URL: 'rediss://cache:6380',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://root@localhost/vigil'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'verbose'],
    ['SESSION_TTL_HOURS', '0'],
    ['SESSION_TTL_HOURS', '721'],
    ['GRAPHQL_MAX_DEPTH', '1'],
    ['GRAPHQL_MAX_DEPTH', '51'],
    ['GRAPHQL_MAX_COST', '9'],
    ['GRAPHQL_MAX_TOKENS', '99'],
    ['GRAPHQL_INTROSPECTION', 'maybe'],
    ['ALLOW_FILE_SOURCES', 'TRUE '],
    ['REQUEST_BODY_LIMIT_BYTES', '1023'],
    ['RATE_LIMIT_LOGIN_PER_MINUTE', '0'],
    ['RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE', '0'],
    ['RATE_LIMIT_ANONYMOUS_PER_MINUTE', '0'],
    ['AUTH_NEGATIVE_CACHE_TTL_MS', '60001'],
    ['LOGIN_KNOWN_ADDRESS_DAYS', '0'],
    ['LOGIN_KNOWN_ADDRESS_DAYS', '366'],
    ['SHUTDOWN_TIMEOUT_MS', '99'],
    ['LOCAL_DETECTOR_THREADS', '0'],
    ['LOCAL_DETECTOR_THREADS', '1.5'],
    ['LOCAL_MIN_SCORE_BY_LABEL', 'person'],
  ])('refuses %s=%s and names the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toMatch(/^Invalid configuration: /);
    expect(error.message).toContain(`${name}: `);
  });

  it('names every invalid variable at once', () => {
    const error = configError({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(error.message).toContain('PORT: ');
    expect(error.message).toContain('DATABASE_URL: must be a postgresql:// URL');
    expect(error.message).toContain('LOG_LEVEL: ');
  });

  it('checks VLLM_NODES at start-up, naming the node field', () => {
    expect(configError({ VLLM_NODES: 'not json' }).message).toBe(
      'Invalid configuration: VLLM_NODES: must be a JSON array of nodes',
    );
    expect(
      configError({ VLLM_NODES: '[{"name":"gpu-1","url":"gopher://x","model":"m"}]' }).message,
    ).toContain('VLLM_NODES: 0.url');
    expect(
      loadConfig({ VLLM_NODES: '[{"name":"gpu-1","url":"http://gpu-1:8000","model":"m"}]' }).VLLM_NODES,
    ).toContain('gpu-1');
  });

  it('requires FILE_SOURCE_ROOT when ALLOW_FILE_SOURCES is true', () => {
    expect(configError({ ALLOW_FILE_SOURCES: 'true' }).message).toBe(
      'Invalid configuration: FILE_SOURCE_ROOT: required when ALLOW_FILE_SOURCES is true',
    );
    expect(configError({ ALLOW_FILE_SOURCES: 'yes', FILE_SOURCE_ROOT: '' }).message).toContain(
      'FILE_SOURCE_ROOT',
    );
    expect(loadConfig({ ALLOW_FILE_SOURCES: 'true', FILE_SOURCE_ROOT: '/srv/videos' })).toMatchObject({
      ALLOW_FILE_SOURCES: true,
      FILE_SOURCE_ROOT: '/srv/videos',
    });
  });

  describe('audit chain keys', () => {
    const secret = (c: string) => c.repeat(32);
    it('reads AUDIT_MAC_KEYS as id=secret pairs in order (the last one writes), frozen', () => {
      const keys = loadConfig({
        AUDIT_MAC_KEYS: ` 2026a=${secret('a')}, 2026-b.x=${secret('b')}=tail ,`,
      }).AUDIT_MAC_KEYS;
      expect(keys).toEqual([
        { id: '2026a', secret: secret('a') },
        { id: '2026-b.x', secret: `${secret('b')}=tail` },
      ]);
      expect(Object.isFrozen(keys)).toBe(true);
    });

    it.each([
      [`k1`, '"" is not a key id'],
      [`k 1=${'a'.repeat(32)}`, '"k 1" is not a key id'],
      [`k1=short`, 'k1: the secret must have at least 32 characters'],
      [`k1=${'a'.repeat(32)},k1=${'b'.repeat(32)}`, 'k1 is given more than once'],
    ])('refuses AUDIT_MAC_KEYS %s', (value, problem) => {
      expect(configError({ AUDIT_MAC_KEYS: value }).message).toContain(`AUDIT_MAC_KEYS: ${problem}`);
    });

    it('takes an Ed25519 PEM for anchors, on one line with \\n too, and refuses other keys', () => {
      const ed25519 = generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      expect(
        loadConfig({ AUDIT_ANCHOR_PRIVATE_KEY: ed25519.replace(/\n/g, '\\n') }).AUDIT_ANCHOR_PRIVATE_KEY,
      ).toBe(ed25519.trim());
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      for (const value of [rsa, 'not a key'])
        expect(configError({ AUDIT_ANCHOR_PRIVATE_KEY: value }).message).toContain(
          'AUDIT_ANCHOR_PRIVATE_KEY: must be an Ed25519 private key in PEM',
        );
    });
  });

  describe('LOCAL_MIN_SCORE_BY_LABEL', () => {
    it('reads label=score pairs, labels with spaces included, and keeps them frozen', () => {
      const scores = loadConfig({
        LOCAL_MIN_SCORE_BY_LABEL: 'person=0.35, fire hydrant = 0.6,',
      }).LOCAL_MIN_SCORE_BY_LABEL;
      expect(scores).toEqual({ person: 0.35, 'fire hydrant': 0.6 });
      expect(Object.isFrozen(scores)).toBe(true);
      expect(loadConfig({ LOCAL_MIN_SCORE_BY_LABEL: 'dog=1,cat=0.05' }).LOCAL_MIN_SCORE_BY_LABEL).toEqual({
        dog: 1,
        cat: 0.05,
      });
    });

    it('refuses an unknown COCO label at start-up, naming it and suggesting real ones', () => {
      expect(configError({ LOCAL_MIN_SCORE_BY_LABEL: 'person=0.35,firehydrant=0.6' }).message).toBe(
        'Invalid configuration: LOCAL_MIN_SCORE_BY_LABEL: "firehydrant" is not a label the local ' +
          'detector knows (COCO-80); for example: fire hydrant',
      );
      // Labels are spelt as the detector reports them.
      expect(configError({ LOCAL_MIN_SCORE_BY_LABEL: 'Person=0.5' }).message).toContain(
        '"Person" is not a label the local detector knows (COCO-80); for example: person',
      );
    });

    it.each([
      ['person', '"person" is not label=score'],
      ['=0.5', '"=0.5" is not label=score'],
      ['person=', '"person=" is not label=score'],
      ['person=high', 'person: the score must be a number from 0.05 to 1, not "high"'],
      ['person=0.01', 'person: the score must be a number from 0.05 to 1, not "0.01"'],
      ['person=1.5', 'person: the score must be a number from 0.05 to 1, not "1.5"'],
      ['person=0.4,person=0.5', 'person is given more than once'],
    ])('refuses %s: %s', (value, problem) => {
      expect(configError({ LOCAL_MIN_SCORE_BY_LABEL: value }).message).toBe(
        `Invalid configuration: LOCAL_MIN_SCORE_BY_LABEL: ${problem}`,
      );
    });

    it('names every bad pair at once', () => {
      const message = configError({ LOCAL_MIN_SCORE_BY_LABEL: 'dgo=0.5,car=2,person=0.4' }).message;
      expect(message).toContain('"dgo" is not a label');
      expect(message).toContain('car: the score must be');
      expect(message).not.toContain('person');
    });
  });

  it('reads LOCAL_DETECTOR_THREADS, one per core by default', () => {
    expect(loadConfig({ LOCAL_DETECTOR_THREADS: '3' }).LOCAL_DETECTOR_THREADS).toBe(3);
    expect(loadConfig({}).LOCAL_DETECTOR_THREADS).toBe(os.availableParallelism());
  });

  it('treats empty strings as unset', () => {
    const empty = Object.fromEntries(Object.keys(CONFIG_DOCS).map((name) => [name, '']));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
    expect(loadConfig({ PORT: '', DATABASE_URL: '', ALLOW_FILE_SOURCES: '' })).toMatchObject({
      PORT: 4000,
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vigil',
      ALLOW_FILE_SOURCES: false,
    });
  });

  it('reads process.env when given no argument', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      expect(loadConfig().PORT).toBe(4321);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('README configuration table', () => {
  const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = new Map(
    [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|\s*$/gm)].map((match) => [
      match[1]!,
      { defaultText: match[2]!.trim(), description: match[3]!.trim() },
    ]),
  );

  it('has a configuration table', () => {
    expect(rows.size).toBeGreaterThan(0);
  });

  it('documents every variable in CONFIG_DOCS', () => {
    const undocumented = Object.keys(CONFIG_DOCS).filter((name) => !rows.has(name));
    expect(undocumented).toEqual([]);
  });

  it('documents no variable that CONFIG_DOCS lacks', () => {
    const unknown = [...rows.keys()].filter((name) => !(name in CONFIG_DOCS));
    expect(unknown).toEqual([]);
  });

  it('CONFIG_DOCS covers every variable loadConfig reads', () => {
    expect(Object.keys(CONFIG_DOCS).sort()).toEqual(Object.keys(loadConfig({})).sort());
  });

  it('states the real defaults', () => {
    const defaults = loadConfig({});
    // Parsed values are shown the way they are written: label=score pairs.
    const shown = (value: unknown): string =>
      typeof value === 'object' && value !== null
        ? Object.entries(value)
            .map(([key, item]) => `${key}=${String(item)}`)
            .join(',')
        : String(value);
    const wrong = [...rows].flatMap(([name, { defaultText }]) => {
      const actual = shown(defaults[name as keyof typeof defaults]);
      const stated =
        defaultText === '(empty)'
          ? ''
          : defaultText === '(cores)'
            ? String(os.availableParallelism())
            : defaultText === '`true` (`false` in production)'
              ? 'true'
              : defaultText.replace(/^`(.*)`$/, '$1');
      return stated === actual ? [] : [`${name}: README says ${defaultText}, code says ${actual}`];
    });
    expect(wrong).toEqual([]);
  });
});
