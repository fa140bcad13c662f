import {
  buildFfmpegArgs,
  limitedCommand,
  parseDurationLine,
  parseShowinfoLine,
  resolveOptions,
  SamplerOptions,
  startSampler,
} from './ffmpeg-sampler';
import { SamplerError } from './sampler-errors';

const VF =
  "fps=2,scale=w='max(32,trunc(min(iw*sar,448*iw*sar/max(iw*sar,ih))/32+0.000001)*32)'" +
  ":h='max(32,trunc(min(ih,448*ih/max(iw*sar,ih))/32+0.000001)*32)':flags=area,setsar=1,format=yuvj420p,showinfo";

const OUTPUT = [
  '-map',
  '0:v:0',
  '-vf',
  VF,
  '-fps_mode',
  'passthrough',
  '-c:v',
  'mjpeg',
  '-q:v',
  '3',
  '-f',
  'image2pipe',
  'pipe:1',
];
const COMMON = [
  '-hide_banner',
  '-nostdin',
  '-nostats',
  '-loglevel',
  'info',
  '-threads',
  '1',
  '-filter_threads',
  '1',
  '-max_pixels',
  '33177600',
];

function args(source: SamplerOptions['source'], extra: Partial<SamplerOptions> = {}): string[] {
  return buildFfmpegArgs(resolveOptions({ ffmpegPath: 'ffmpeg', source, fps: 2, ...extra }));
}

function refusal(source: SamplerOptions['source']): string {
  try {
    resolveOptions({ ffmpegPath: 'ffmpeg', source, fps: 2 });
  } catch (error) {
    if (error instanceof SamplerError && error.kind === 'invalid-source') return error.message;
    throw error;
  }
  throw new Error(`expected ${source.url} to be refused`);
}

describe('limitedCommand', () => {
  it('runs ffmpeg under prlimit with an address-space limit, or as it is with none', () => {
    expect(limitedCommand(1024, ['ffmpeg', '-i', 'x'])).toEqual([
      'prlimit',
      '--as=1024',
      '--',
      'ffmpeg',
      '-i',
      'x',
    ]);
    expect(limitedCommand(0, ['ffmpeg', '-i', 'x'])).toEqual(['ffmpeg', '-i', 'x']);
  });
});

describe('buildFfmpegArgs', () => {
  it('RTSP: its protocols, TCP transport, a socket timeout, video only', () => {
    expect(args({ url: 'rtsp://user:pw@10.0.0.5:554/stream1', kind: 'RTSP' })).toEqual([
      ...COMMON,
      '-protocol_whitelist',
      'rtsp,rtsps,rtp,udp,tcp,tls',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '10000000',
      '-allowed_media_types',
      'video',
      '-i',
      'rtsp://user:pw@10.0.0.5:554/stream1',
      ...OUTPUT,
    ]);
  });

  it('HTTP progressive: web protocols and an I/O timeout', () => {
    expect(args({ url: 'https://cdn.example.com/a.mp4', kind: 'HTTP' }, { networkTimeoutMs: 5_000 })).toEqual(
      [
        ...COMMON,
        '-protocol_whitelist',
        'http,https,tcp,tls,httpproxy',
        '-rw_timeout',
        '5000000',
        '-i',
        'https://cdn.example.com/a.mp4',
        ...OUTPUT,
      ],
    );
  });

  it('HLS: crypto for encrypted segments, and the hls demuxer forced', () => {
    expect(args({ url: 'https://cdn.example.com/live/index.m3u8', kind: 'HLS' })).toEqual([
      ...COMMON,
      '-protocol_whitelist',
      'http,https,tcp,tls,httpproxy,crypto',
      '-rw_timeout',
      '10000000',
      '-f',
      'hls',
      '-i',
      'https://cdn.example.com/live/index.m3u8',
      ...OUTPUT,
    ]);
  });

  it("names the run's proxy for HTTP and HLS once it runs (ffmpeg reads it before -i)", () => {
    const resolved = resolveOptions({
      ffmpegPath: 'ffmpeg',
      source: { url: 'https://cdn.example.com/live/index.m3u8', kind: 'HLS' },
      fps: 2,
    });
    const out = buildFfmpegArgs({ ...resolved, httpProxy: 'http://127.0.0.1:40000' });
    expect(out.slice(out.indexOf('-http_proxy'), out.indexOf('-http_proxy') + 2)).toEqual([
      '-http_proxy',
      'http://127.0.0.1:40000',
    ]);
    expect(out.indexOf('-http_proxy')).toBeLessThan(out.indexOf('-i'));
  });

  it('file: only the file protocol, and the decoded path behind file:', () => {
    expect(args({ url: 'file:///srv/videos/a%20b:c.mp4', kind: 'FILE' }, { readAtNativeRate: true })).toEqual(
      [...COMMON, '-protocol_whitelist', 'file', '-re', '-i', 'file:/srv/videos/a b:c.mp4', ...OUTPUT],
    );
  });

  it('puts rate, size and quality in the filter and encoder options', () => {
    const out = args(
      { url: 'rtsp://cam/x', kind: 'RTSP' },
      { fps: 0.2, maxWidth: 224, jpegQuality: 5, rtspTransport: 'udp', skipNonReferenceFrames: true },
    );
    expect(out).toEqual(
      expect.arrayContaining(['-skip_frame', 'noref', '-rtsp_transport', 'udp', '-q:v', '5']),
    );
    const vf = out[out.indexOf('-vf') + 1]!;
    expect(vf.startsWith('fps=0.2,')).toBe(true);
    expect(vf).toContain('224*iw*sar/');
  });

  it('passes the URL normalised, since ffmpeg matches protocol names case-sensitively', () => {
    const out = args({ url: 'HTTP://CDN.Example.com/a/../b.mp4', kind: 'HTTP' });
    expect(out[out.indexOf('-i') + 1]).toBe('http://cdn.example.com/b.mp4');
  });

  it('the URL is one argument, the value of -i, and nothing else mentions it', () => {
    const url = 'http://cdn.example.com/a.mp4?x=-f&y=lavfi';
    const out = args({ url, kind: 'HTTP' });
    expect(out.filter((a) => a.includes('cdn.example.com'))).toEqual([url]);
    expect(out[out.indexOf(url) - 1]).toBe('-i');
  });
});

describe('resolveOptions refuses at the boundary', () => {
  it.each([
    ['http://cdn.example.com/a.mp4', 'RTSP'],
    ['rtsp://cam/x', 'HTTP'],
    ['rtsp://cam/x', 'HLS'],
    ['file:///srv/a.mp4', 'HTTP'],
    ['http://cdn.example.com/a.mp4', 'FILE'],
    ['concat:a.mp4|b.mp4', 'FILE'],
    ['subfile,,start,0,end,100,,:http://x/a.mp4', 'HTTP'],
    ['udp://239.0.0.1:1234', 'RTSP'],
  ] as const)('%s declared %s', (url, kind) => {
    expect(refusal({ url, kind })).toMatch(/scheme|not a valid URL/);
  });

  it('spaces, control characters, overlong URLs, hostless URLs', () => {
    expect(refusal({ url: 'http://cdn.example.com/a b.mp4', kind: 'HTTP' })).toMatch(/spaces/);
    expect(refusal({ url: 'http://cdn.example.com/a\r\nX-Evil: 1', kind: 'HTTP' })).toMatch(/control/);
    expect(refusal({ url: `http://cdn.example.com/${'a'.repeat(2100)}`, kind: 'HTTP' })).toMatch(
      /characters/,
    );
    expect(refusal({ url: 'rtsp:///stream', kind: 'RTSP' })).toMatch(/host/);
    expect(refusal({ url: 'file://server/share/a.mp4', kind: 'FILE' })).toMatch(/local file/);
  });

  it('rates, sizes and quality out of range', () => {
    const base: SamplerOptions = {
      ffmpegPath: 'ffmpeg',
      source: { url: 'rtsp://cam/x', kind: 'RTSP' },
      fps: 2,
    };
    expect(() => resolveOptions({ ...base, fps: 0.1 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, fps: 6 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, fps: Number.NaN })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, maxWidth: 20 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, jpegQuality: 1 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, silenceTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, startSequence: -1 })).toThrow(RangeError);
  });

  it('keeps the silence timeout above 2.5 frame intervals at low rates', () => {
    const base: SamplerOptions = {
      ffmpegPath: 'ffmpeg',
      source: { url: 'rtsp://cam/x', kind: 'RTSP' },
      fps: 0.2,
    };
    expect(resolveOptions({ ...base, silenceTimeoutMs: 3_000 }).silenceTimeoutMs).toBe(12_500);
    expect(resolveOptions({ ...base, fps: 2, silenceTimeoutMs: 3_000 }).silenceTimeoutMs).toBe(3_000);
  });
});

describe('stderr parsing', () => {
  it('reads the presentation time of a showinfo frame line', () => {
    const line =
      '[Parsed_showinfo_4 @ 0x55eb9622a140] n:   3 pts:      3 pts_time:1.5     pos:       -1 fmt:yuvj420p sar:1/1 s:448x224 i:P iskey:1 type:I';
    expect(parseShowinfoLine(line)).toEqual({ ptsSeconds: 1.5 });
    expect(parseShowinfoLine(line.replace('pts:      3 pts_time:1.5', 'pts:NOPTS pts_time:NOPTS'))).toEqual({
      ptsSeconds: null,
    });
  });

  it('ignores showinfo configuration lines and indented metadata that imitates a frame line', () => {
    expect(
      parseShowinfoLine('[Parsed_showinfo_4 @ 0x55eb9622a140] config in time_base: 1/2, frame_rate: 2/1'),
    ).toBe(undefined);
    expect(parseShowinfoLine('    title           : [Parsed_showinfo_4 @ 0x1] n: 0 pts: 0 pts_time:99')).toBe(
      undefined,
    );
  });

  it('reads the input duration, or knows there is none', () => {
    expect(parseDurationLine('  Duration: 00:00:10.00, start: 0.000000, bitrate: 243 kb/s')).toBe(10);
    expect(parseDurationLine('  Duration: 01:02:03.50, start: 1.400000, bitrate: N/A')).toBe(3723.5);
    expect(parseDurationLine('  Duration: N/A, start: 0.000000, bitrate: N/A')).toBeNull();
    expect(parseDurationLine('    Duration: 00:00:01.00')).toBeUndefined();
  });
});

describe('startSampler without a usable ffmpeg or address', () => {
  it('reports a missing ffmpeg as ffmpeg-unavailable, never throwing', async () => {
    const sampler = startSampler({
      ffmpegPath: '/nonexistent/ffmpeg',
      source: { url: 'file:///tmp/a.mp4', kind: 'FILE' },
      fps: 2,
    });
    const frames = [];
    for await (const frame of sampler) frames.push(frame);
    expect(frames).toEqual([]);
    const outcome = await sampler.outcome;
    expect(outcome.kind === 'failed' && outcome.error.kind).toBe('ffmpeg-unavailable');
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', false],
    ['rtsp://[fe80::1]/cam', true],
    ['http://127.0.0.1:8080/a.mp4', false],
    ['rtsp://0x7f.1/cam', false],
  ])('refuses %s (loopback allowed: %s) before spawning anything', async (url, allowLoopback) => {
    const sampler = startSampler({
      ffmpegPath: '/nonexistent/ffmpeg',
      source: { url, kind: url.startsWith('rtsp') ? 'RTSP' : 'HTTP' },
      fps: 2,
      allowLoopback,
    });
    const outcome = await sampler.outcome;
    expect(outcome.kind === 'failed' && outcome.error.kind).toBe('invalid-source');
    expect(sampler.pid).toBeUndefined();
  });

  it('stop() before ffmpeg started settles as stopped', async () => {
    const sampler = startSampler({
      ffmpegPath: '/nonexistent/ffmpeg',
      source: { url: 'http://127.0.0.1:9/a.mp4', kind: 'HTTP' },
      fps: 2,
      allowLoopback: true,
    });
    expect(await sampler.stop()).toEqual({ kind: 'stopped', frames: 0 });
    expect(await sampler.next()).toEqual({ value: undefined, done: true });
  });
});
