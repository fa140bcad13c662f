import { checkSourceUrl, redactSourceUrl, SourcePolicy, SourceUrlError } from './source-url';

const strict: SourcePolicy = { allowFileSources: false, fileSourceRoot: '' };
const withFiles: SourcePolicy = { allowFileSources: true, fileSourceRoot: '/srv/videos' };

function refusal(raw: string, policy: SourcePolicy = strict): string {
  try {
    checkSourceUrl(raw, policy);
  } catch (error) {
    if (error instanceof SourceUrlError) return error.message;
    throw error;
  }
  throw new Error(`expected ${raw} to be refused`);
}

describe('checkSourceUrl', () => {
  describe('allowed schemes and kind inference', () => {
    it.each([
      ['rtsp://10.0.0.5:554/stream1', 'RTSP'],
      ['rtsps://camera.example.com/live', 'RTSP'],
      ['http://camera.example.com/video.mjpg', 'HTTP'],
      ['https://cdn.example.com/live/stream', 'HTTP'],
      ['https://cdn.example.com/live/index.m3u8', 'HLS'],
      ['http://cdn.example.com/live/INDEX.M3U8', 'HLS'],
      ['https://cdn.example.com/live/index.m3u8?token=abc&x=1', 'HLS'],
    ])('%s is a %s source', (raw, kind) => {
      expect(checkSourceUrl(raw, strict)).toEqual({ url: new URL(raw).toString(), kind });
    });

    it('does not treat .m3u8 in the query string as HLS', () => {
      expect(checkSourceUrl('https://cdn.example.com/play?file=index.m3u8', strict).kind).toBe('HTTP');
    });

    it('returns the normalised URL', () => {
      expect(checkSourceUrl('HTTPS://CDN.Example.com/a/../live.m3u8', strict)).toEqual({
        url: 'https://cdn.example.com/live.m3u8',
        kind: 'HLS',
      });
    });

    it('accepts a declared kind that matches', () => {
      expect(checkSourceUrl('rtsp://10.0.0.5/s', strict, 'RTSP').kind).toBe('RTSP');
      expect(checkSourceUrl('https://cdn.example.com/a.m3u8', strict, 'HLS').kind).toBe('HLS');
      expect(checkSourceUrl('https://cdn.example.com/a.m3u8', strict, null).kind).toBe('HLS');
    });

    it('refuses a declared kind that does not match the URL', () => {
      expect(() => checkSourceUrl('rtsp://10.0.0.5/s', strict, 'HLS')).toThrow(
        new SourceUrlError('is a RTSP source, not HLS'),
      );
      expect(() => checkSourceUrl('https://cdn.example.com/a.mp4', strict, 'HLS')).toThrow(SourceUrlError);
      expect(() => checkSourceUrl('file:///srv/videos/a.mp4', withFiles, 'HTTP')).toThrow(SourceUrlError);
    });
  });

  describe('refused schemes', () => {
    it.each([
      'ftp://files.example.com/video.mp4',
      'javascript:alert(1)',
      'data:video/mp4;base64,AAAA',
      'gopher://example.com/1',
      'ws://example.com/stream',
    ])('refuses %s', (raw) => {
      expect(refusal(raw)).toBe('scheme must be rtsp, rtsps, http or https');
      expect(refusal(raw, withFiles)).toBe('scheme must be rtsp, rtsps, http or https');
    });

    it('refuses file URLs when file sources are disabled', () => {
      expect(refusal('file:///srv/videos/a.mp4')).toBe('file sources are disabled on this server');
    });

    it('refuses something that is not a URL', () => {
      expect(refusal('not a url')).toMatch(/spaces/);
      expect(refusal('camera.local/stream')).toBe('is not a valid URL');
      expect(refusal('')).toBe('is not a valid URL');
    });
  });

  describe('file sources', () => {
    it('accepts a file inside the root, and the root itself', () => {
      expect(checkSourceUrl('file:///srv/videos/a.mp4', withFiles)).toEqual({
        url: 'file:///srv/videos/a.mp4',
        kind: 'FILE',
      });
      expect(checkSourceUrl('file:///srv/videos/sub/dir/b.mkv', withFiles).kind).toBe('FILE');
      expect(checkSourceUrl('file:///srv/videos', withFiles).kind).toBe('FILE');
    });

    it('accepts a root given with a trailing slash', () => {
      expect(
        checkSourceUrl('file:///srv/videos/a.mp4', { allowFileSources: true, fileSourceRoot: '/srv/videos/' })
          .kind,
      ).toBe('FILE');
    });

    it('decodes percent-encoded names before checking the folder', () => {
      expect(checkSourceUrl('file:///srv/videos/my%20clip.mp4', withFiles).kind).toBe('FILE');
    });

    it.each([
      'file:///etc/passwd',
      'file:///srv/videos/../etc/passwd',
      'file:///srv/videos/%2e%2e/etc/passwd',
      'file:///srv/videos/..%2Fsecret.mp4',
      'file:///srv/videos/..%2F..%2Fetc%2Fpasswd',
      'file:///srv/videos-evil/a.mp4',
      'file:///srv/videosX',
      'file:///srv',
    ])('refuses %s (outside the root)', (raw) => {
      expect(refusal(raw, withFiles)).toBe('file sources must be inside the folder the operator allows');
    });

    it('refuses a file URL that names a host', () => {
      expect(refusal('file://fileserver/srv/videos/a.mp4', withFiles)).toBe('file URLs must not name a host');
      expect(refusal('file://10.0.0.5/srv/videos/a.mp4', withFiles)).toBe('file URLs must not name a host');
    });

    // A URIError here would reach the client as INTERNAL_SERVER_ERROR instead of BAD_USER_INPUT.
    it('refuses a malformed percent escape with a SourceUrlError', () => {
      expect(() => checkSourceUrl('file:///srv/videos/%E0%A4%A', withFiles)).toThrow(SourceUrlError);
    });
  });

  describe('characters and length', () => {
    it.each([
      ['a space', 'rtsp://10.0.0.5/my stream'],
      ['a tab', 'rtsp://10.0.0.5/s\tx'],
      ['a newline', 'rtsp://10.0.0.5/s\nx'],
      ['a carriage return + header', 'http://cam.example.com/s\r\nX-Injected: 1'],
      ['a NUL', 'rtsp://10.0.0.5/s\u0000'],
      ['DEL', 'rtsp://10.0.0.5/s\u007f'],
      ['a leading space', ' rtsp://10.0.0.5/s'],
      ['a trailing newline', 'rtsp://10.0.0.5/s\n'],
    ])('refuses %s', (_name, raw) => {
      expect(refusal(raw)).toBe('must not contain spaces or control characters');
    });

    it('accepts 2048 characters and refuses 2049', () => {
      const base = 'https://cdn.example.com/';
      const exact = base + 'a'.repeat(2048 - base.length);
      expect(exact).toHaveLength(2048);
      expect(checkSourceUrl(exact, strict).kind).toBe('HTTP');
      expect(refusal(exact + 'a')).toBe('must be at most 2048 characters');
    });
  });

  describe('hosts', () => {
    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://169.254.1.1/',
      'http://2852039166/', // 169.254.169.254 written as one number
      'rtsp://[fe80::1]/stream',
      'rtsp://[FEBF::1]/stream',
      'http://metadata.google.internal/computeMetadata/v1/',
    ])('always refuses the link-local address %s', (raw) => {
      expect(refusal(raw)).toBe('must not point at a link-local address');
      expect(refusal(raw, withFiles)).toBe('must not point at a link-local address');
    });

    // new URL() rewrites [::ffff:169.254.1.1] as [::ffff:a9fe:101]; the check must unwrap it.
    it('refuses an IPv4-mapped IPv6 link-local address', () => {
      expect(refusal('http://[::ffff:169.254.1.1]/')).toBe('must not point at a link-local address');
      expect(refusal('http://[::ffff:169.254.169.254]/', withFiles)).toBe(
        'must not point at a link-local address',
      );
    });

    it.each([
      'http://localhost/stream',
      'http://LOCALHOST:8080/stream',
      'http://sub.localhost/stream',
      'rtsp://127.0.0.1/stream',
      'rtsp://127.1.2.3/stream',
      'http://0x7f.1/', // 127.0.0.1 in hex shorthand
      'http://0.0.0.0/',
      'rtsp://[::1]/stream',
      'rtsp://[::]/stream',
    ])('refuses the loopback address %s unless file sources are allowed', (raw) => {
      expect(refusal(raw)).toBe('must not point at this server (loopback)');
      expect(checkSourceUrl(raw, withFiles)).toEqual({
        url: new URL(raw).toString(),
        kind: raw.startsWith('rtsp') ? 'RTSP' : 'HTTP',
      });
    });

    // Same as above: [::ffff:127.0.0.1] becomes [::ffff:7f00:1].
    it('refuses an IPv4-mapped IPv6 loopback address', () => {
      expect(refusal('http://[::ffff:127.0.0.1]/')).toBe('must not point at this server (loopback)');
    });

    it.each([
      'rtsp://10.0.0.5:554/cam',
      'rtsp://192.168.1.20/cam',
      'rtsp://172.16.3.4/cam',
      'rtsp://[fd00::5]/cam',
      'rtsp://camera.example.com/cam',
      'rtsp://169.255.0.1/cam',
    ])('accepts %s (private ranges and public hosts)', (raw) => {
      expect(checkSourceUrl(raw, strict).kind).toBe('RTSP');
    });

    // Metadata services outside 169.254/16, and IPv6 spellings that reach loopback or metadata
    // through an embedded IPv4 address: refused as written, whatever the operator allows.
    it.each([
      ['http://[fd00:ec2::254]/latest/meta-data/', 'must not point at a link-local address'],
      ['http://100.100.100.200/latest/meta-data/', 'must not point at a link-local address'],
      ['http://192.0.0.192/opc/v1/instance/', 'must not point at a link-local address'],
      ['http://168.63.129.16/machine?comp=goalstate', 'must not point at a link-local address'],
      ['rtsp://[64:ff9b::a9fe:a9fe]/cam', 'must not point at a link-local address'],
      ['http://[::ffff:0:a9fe:a9fe]/', 'must not point at a link-local address'],
      ['http://[2002:a9fe:a9fe::1]/', 'must not point at a link-local address'],
      ['http://224.0.0.251/', expect.stringMatching(/^must not point at a reserved address/)],
      ['rtsp://[ff02::1]/cam', expect.stringMatching(/^must not point at a reserved address/)],
    ])('always refuses %s', (raw, message) => {
      expect(refusal(raw)).toEqual(message);
      expect(refusal(raw, withFiles)).toEqual(message);
    });

    it.each([
      'http://[::127.0.0.1]/live.m3u8', // IPv4-compatible
      'http://[::7f00:1]/live.m3u8',
      'http://[64:ff9b::127.0.0.1]/live.m3u8', // NAT64
      'rtsp://[64:ff9b::7f00:1]/cam',
      'http://[::ffff:0:7f00:1]/', // SIIT
      'http://[2002:7f00:1::]/', // 6to4
    ])('refuses %s, an IPv6 spelling of loopback, unless file sources are allowed', (raw) => {
      expect(refusal(raw)).toBe('must not point at this server (loopback)');
      expect(checkSourceUrl(raw, withFiles).kind).toBeDefined();
    });

    it.each(['rtsp://[64:ff9b::a00:5]/cam', 'rtsp://[::ffff:10.0.0.5]/cam', 'rtsp://[64:ff9b:1::a00:5]/cam'])(
      'accepts %s like the private camera it reaches',
      (raw) => {
        expect(checkSourceUrl(raw, strict).kind).toBe('RTSP');
      },
    );

    it('refuses an rtsp URL without a host', () => {
      expect(refusal('rtsp:///stream')).toBe('must name a host');
    });

    // rtsp is not a "special" scheme for the WHATWG URL parser, so its host is left as written:
    // numeric, octal and hex IPv4 forms are not normalised by the parser, yet the system resolver
    // (inet_aton) that an RTSP client uses maps them to 169.254.169.254 / 127.0.0.1.
    it('refuses link-local addresses written in numeric IPv4 forms in rtsp URLs', () => {
      expect(refusal('rtsp://2852039166/stream')).toBe('must not point at a link-local address');
      expect(refusal('rtsp://0251.0376.0251.0376/stream')).toBe('must not point at a link-local address');
    });

    it('refuses loopback addresses written in short or hex IPv4 forms in rtsp URLs', () => {
      expect(refusal('rtsp://127.1/stream')).toBe('must not point at this server (loopback)');
      expect(refusal('rtsp://0x7f.1/stream')).toBe('must not point at this server (loopback)');
    });
  });
});

describe('redactSourceUrl', () => {
  it('masks the password and keeps the user name', () => {
    expect(redactSourceUrl('rtsp://admin:hunter2@10.0.0.5:554/stream1')).toBe(
      'rtsp://admin:***@10.0.0.5:554/stream1',
    );
    expect(redactSourceUrl('https://bob:s3cret@cdn.example.com/x.m3u8')).not.toContain('s3cret');
  });

  it('masks a user name given without a password (it is then the credential)', () => {
    const redacted = redactSourceUrl('rtsp://c2VjcmV0LXRva2Vu@cam.example.com/live');
    expect(redacted).toBe('rtsp://***@cam.example.com/live');
  });

  it('masks secret-looking query values and keeps the others', () => {
    const redacted = new URL(
      redactSourceUrl(
        'https://cdn.example.com/live.m3u8?token=T1&api_key=K1&sig=S1&password=P1&channel=7&quality=hd',
      ),
    );
    expect(redacted.searchParams.get('token')).toBe('***');
    expect(redacted.searchParams.get('api_key')).toBe('***');
    expect(redacted.searchParams.get('sig')).toBe('***');
    expect(redacted.searchParams.get('password')).toBe('***');
    expect(redacted.searchParams.get('channel')).toBe('7');
    expect(redacted.searchParams.get('quality')).toBe('hd');
    for (const secret of ['T1', 'K1', 'S1', 'P1']) expect(redacted.toString()).not.toContain(secret);
  });

  it('matches secret parameter names case-insensitively and by part', () => {
    const redacted = redactSourceUrl(
      'https://cdn.example.com/a?X-Amz-Signature=abc&AccessToken=def&Auth=ghi',
    );
    expect(redacted).not.toMatch(/abc|def|ghi/);
  });

  it('leaves a URL without secrets unchanged', () => {
    expect(redactSourceUrl('rtsp://10.0.0.5:554/stream1?channel=2')).toBe(
      'rtsp://10.0.0.5:554/stream1?channel=2',
    );
  });

  it('answers a placeholder for an invalid URL instead of echoing it', () => {
    expect(redactSourceUrl('not a url with password hunter2')).toBe('[invalid url]');
    expect(redactSourceUrl('')).toBe('[invalid url]');
  });
});
