import {
  classifyExit,
  FfmpegExit,
  httpStatusOf,
  proxyError,
  redactCredentials,
  SamplerError,
  SamplerErrorKind,
  tenantMessageFor,
} from './sampler-errors';

// stderr lines as ffmpeg 5.1 prints them for each case (recorded from real runs).
const failed = (stderrTail: string[], extra: Partial<FfmpegExit> = {}): FfmpegExit => ({
  code: 1,
  signal: null,
  stderrTail,
  frames: 0,
  finite: false,
  sawTruncation: false,
  sawDamage: false,
  ...extra,
});

describe('classifyExit', () => {
  it.each<[string, string[], SamplerErrorKind]>([
    [
      'HTTP connection refused',
      [
        '[tcp @ 0x55ec64173300] Connection to tcp://127.0.0.1:1 failed: Connection refused',
        'http://127.0.0.1:1/x.mp4: Connection refused',
      ],
      'connection-refused',
    ],
    [
      'unresolvable host',
      [
        '[tcp @ 0x560af0a58300] Failed to resolve hostname nonexistent.invalid: Name or service not known',
        'http://nonexistent.invalid/x.mp4: Input/output error',
      ],
      'connection-refused',
    ],
    [
      'HTTP 404',
      [
        '[http @ 0x55dd430b0240] HTTP error 404 Not Found',
        'http://h/missing.mp4: Server returned 404 Not Found',
      ],
      'not-found',
    ],
    [
      'RTSP 404',
      [
        '[rtsp @ 0x559b3a402980] method DESCRIBE failed: 404 Not Found',
        'rtsp://h/x: Server returned 404 Not Found',
      ],
      'not-found',
    ],
    ['missing file', ['file:/tmp/exp/missing.mp4: No such file or directory'], 'not-found'],
    [
      'HTTP 401',
      [
        '[http @ 0x55cb6db11240] HTTP error 401 Unauthorized',
        'http://h/a.mp4: Server returned 401 Unauthorized (authorization failed)',
      ],
      'unauthorized',
    ],
    ['HTTP 403', ['http://h/f: Server returned 403 Forbidden (access denied)'], 'unauthorized'],
    ['network timeout', ['http://127.0.0.1:18080/silent: Connection timed out'], 'timeout'],
    [
      'text file named .mp4',
      [
        '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55809dddf9c0] moov atom not found',
        'file:/tmp/exp/text.mp4: Invalid data found when processing input',
      ],
      'not-video',
    ],
    [
      'audio only',
      ["Stream map '0:v:0' matches no streams.", "To ignore this, add a trailing '?' to the map."],
      'not-video',
    ],
    [
      'playlist pointing at a forbidden protocol',
      ["[hls @ 0x1] Protocol 'file' not on whitelist 'http,https,tcp,tls,crypto'!"],
      'invalid-source',
    ],
  ])('%s', (_case, lines, kind) => {
    expect(classifyExit(failed(lines))?.kind).toBe(kind);
  });

  it('calls invalid data after good frames corrupt, not "not a video"', () => {
    const exit = failed(['Error while decoding stream #0:0: Invalid data found when processing input'], {
      frames: 4,
    });
    expect(classifyExit(exit)?.kind).toBe('corrupt');
  });

  it('a clean exit is the end, unless the input was truncated', () => {
    expect(classifyExit(failed([], { code: 0, frames: 20, finite: true }))).toBeNull();
    const truncated = failed(['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] stream 0, offset 0x24ba1: partial file'], {
      code: 0,
      frames: 10,
      finite: true,
      sawTruncation: true,
      sawDamage: true,
    });
    const error = classifyExit(truncated);
    expect(error?.kind).toBe('corrupt');
    expect(error?.message).toContain('after 10 good frames');
  });

  it('decode errors end a finite source as corrupt, but not a live one (packet loss is routine)', () => {
    const damaged = { code: 0, frames: 30, sawDamage: true };
    expect(classifyExit(failed([], { ...damaged, finite: true }))?.kind).toBe('corrupt');
    expect(classifyExit(failed([], { ...damaged, finite: false }))).toBeNull();
  });

  it('anything else is unknown, with the last stderr lines and how ffmpeg ended', () => {
    const error = classifyExit(failed(['something odd', 'and then this'], { code: 183 }));
    expect(error?.kind).toBe('unknown');
    expect(error?.message).toBe('ffmpeg exited with code 183: something odd | and then this');
    expect(error?.stderrTail).toEqual(['something odd', 'and then this']);
    expect(classifyExit(failed([], { code: null, signal: 'SIGSEGV' }))?.message).toBe(
      'ffmpeg was killed by SIGSEGV',
    );
  });
});

describe('redactCredentials', () => {
  const source = 'rtsp://admin:hunter2%21x@camera.example.com:554/live?token=abc123';

  it('replaces the source URL, as written and as ffmpeg prints it, with its redacted form', () => {
    const out = redactCredentials(`Input #0, rtsp, from '${source}':`, source);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('abc123');
    expect(out).toContain('camera.example.com:554/live');
  });

  it('removes the password and user name wherever they appear, percent-decoded too', () => {
    const out = redactCredentials('auth as admin with hunter2!x failed; hunter2%21x', source);
    expect(out).toBe('auth as *** with *** failed; ***');
  });

  it("removes other URLs' userinfo and secret-looking query values", () => {
    const out = redactCredentials(
      "Opening 'https://u:p@cdn.example.com/seg-1.ts?sig=zzz&n=1&api_key=qq' for reading",
      'https://cdn.example.com/index.m3u8',
    );
    expect(out).toBe("Opening 'https://***@cdn.example.com/seg-1.ts?sig=***&n=1&api_key=***' for reading");
  });

  it('leaves text without secrets alone', () => {
    expect(redactCredentials('frame=10 fps=2', 'http://cdn.example.com/a.mp4')).toBe('frame=10 fps=2');
  });
});

describe('tenantMessageFor', () => {
  const error = (kind: SamplerErrorKind) =>
    new SamplerError(kind, `detail of ${kind}`, ['[tcp @ 0x1] raw line']);
  const kinds: SamplerErrorKind[] = [
    'connection-refused',
    'not-found',
    'unauthorized',
    'not-video',
    'corrupt',
    'timeout',
    'unknown',
  ];

  it.each(kinds)('says only "source unreachable" for %s from an address that is not public', (kind) => {
    for (const sourceKind of ['HTTP', 'HLS', 'RTSP'] as const) {
      expect(tenantMessageFor(error(kind), { sourceKind, onlyPublic: false, httpStatus: 404 })).toBe(
        'source unreachable',
      );
    }
  });

  it('says "address not allowed" for a refusal, wherever it happened', () => {
    expect(tenantMessageFor(error('invalid-source'), { sourceKind: 'HLS', onlyPublic: true })).toBe(
      'address not allowed',
    );
    expect(tenantMessageFor(error('invalid-source'), { sourceKind: 'RTSP', onlyPublic: false })).toBe(
      'address not allowed',
    );
  });

  it('adds what a public source answered', () => {
    const publicSource = { sourceKind: 'HTTP' as const, onlyPublic: true };
    expect(tenantMessageFor(error('not-found'), { ...publicSource, httpStatus: 404 })).toBe(
      'source unreachable (HTTP 404)',
    );
    expect(tenantMessageFor(error('not-video'), publicSource)).toBe('source unreachable (not a video)');
    expect(tenantMessageFor(error('timeout'), publicSource)).toBe('source unreachable (timed out)');
    expect(tenantMessageFor(error('connection-refused'), publicSource)).toBe('source unreachable');
    expect(tenantMessageFor(error('unknown'), publicSource)).toBe('source unreachable');
  });

  it("keeps a file source's fixed messages, never ffmpeg's words", () => {
    const file = { sourceKind: 'FILE' as const, onlyPublic: false };
    expect(tenantMessageFor(new SamplerError('not-found', 'the source was not found (404)'), file)).toBe(
      'the source was not found (404)',
    );
    expect(tenantMessageFor(error('unknown'), file)).toBe('the file could not be read');
  });
});

describe('httpStatusOf', () => {
  it('reads the last HTTP error status ffmpeg printed', () => {
    expect(
      httpStatusOf(['[http @ 0x1] HTTP error 403 Forbidden', '[http @ 0x1] HTTP error 404 Not Found']),
    ).toBe(404);
    expect(httpStatusOf(['Connection refused'])).toBeUndefined();
  });
});

describe('proxyError', () => {
  it('makes a refusal the cause, naming where (never a path) for the operator', () => {
    const error = proxyError(
      {
        refusals: 2,
        onlyPublic: true,
        firstRefusal: {
          host: 'internal.example',
          port: 6379,
          address: '127.0.0.1',
          outcome: 'refused',
          refused: 'loopback',
        },
      },
      [],
    );
    expect([error?.kind, error?.message, error?.tenantMessage]).toEqual([
      'invalid-source',
      'a connection to internal.example:6379 (127.0.0.1) was refused: a loopback address (2 connections refused in this run)',
      'address not allowed',
    ]);
  });

  it.each([
    [{ outcome: 'unresolved', code: 'ENOTFOUND' }, 'connection-refused'],
    [{ outcome: 'failed', code: 'ECONNREFUSED' }, 'connection-refused'],
    [{ outcome: 'failed', code: 'ETIMEDOUT' }, 'timeout'],
    [{ outcome: 'failed', code: 'HPE_INVALID_CONSTANT' }, 'unknown'],
  ] as const)('turns %j into %s', (failure, kind) => {
    const error = proxyError(
      { refusals: 0, onlyPublic: false, lastFailure: { host: 'cam', port: 80, ...failure } },
      [],
    );
    expect(error?.kind).toBe(kind);
    expect(error?.tenantMessage).toBe('source unreachable');
  });

  it('explains nothing when every connection was made and answered', () => {
    expect(proxyError({ refusals: 0, onlyPublic: true, lastErrorStatus: 404 }, [])).toBeNull();
  });
});
