import {
  addressKind,
  AddressRules,
  canonicalHost,
  checkHttpUrl,
  OUTBOUND_RULES,
  OutboundUrlError,
  parseOutboundUrl,
  refusedAddress,
  refusedHost,
  unmapIp,
} from './outbound-url-policy';

const NOTHING: AddressRules = { allowLoopback: false, allowPrivate: false, allowLinkLocal: false };
const EVERYTHING: AddressRules = { allowLoopback: true, allowPrivate: true, allowLinkLocal: true };

function refusal(call: () => unknown): OutboundUrlError {
  try {
    call();
  } catch (error) {
    if (error instanceof OutboundUrlError) return error;
    throw error;
  }
  throw new Error('expected an OutboundUrlError');
}

describe('addressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::1', 'loopback'],
    ['::', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['FEBF::1', 'link-local'],
    ['::ffff:a9fe:101', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['0.1.2.3', 'private'],
    ['fc00::1', 'private'],
    ['fdff::1', 'private'],
    ['[fd00::1]', 'private'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it.each([
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700::1111',
    'camera.example.com',
    '',
  ])('%s is none of them', (value) => {
    expect(addressKind(value)).toBeNull();
  });
});

describe('unmapIp', () => {
  it('unwraps IPv4-mapped IPv6 in dotted and hex forms, and leaves other addresses as they are', () => {
    expect(unmapIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIp('::FFFF:A00:1')).toBe('10.0.0.1');
    expect(unmapIp('[::ffff:a9fe:a9fe]')).toBe('169.254.169.254');
    expect(unmapIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(unmapIp('93.184.215.14')).toBe('93.184.215.14');
  });
});

describe('refusedAddress', () => {
  it('refuses each kind unless the rules allow it', () => {
    expect(refusedAddress('127.0.0.1', NOTHING)).toBe('loopback');
    expect(refusedAddress('127.0.0.1', { ...NOTHING, allowLoopback: true })).toBeNull();
    expect(refusedAddress('10.0.0.1', NOTHING)).toBe('private');
    expect(refusedAddress('10.0.0.1', { ...NOTHING, allowPrivate: true })).toBeNull();
    expect(refusedAddress('169.254.10.1', NOTHING)).toBe('link-local');
    expect(refusedAddress('169.254.10.1', { ...NOTHING, allowLinkLocal: true })).toBeNull();
    expect(refusedAddress('93.184.215.14', NOTHING)).toBeNull();
  });

  it.each(['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200'])(
    'refuses the cloud metadata address %s whatever the rules allow',
    (ip) => {
      expect(refusedAddress(ip, EVERYTHING)).toBe('link-local');
    },
  );
});

describe('refusedHost', () => {
  it('judges localhost names as loopback and metadata names as link-local, and leaves other names to resolution', () => {
    expect(refusedHost('localhost', NOTHING)).toBe('loopback');
    expect(refusedHost('cam.localhost', NOTHING)).toBe('loopback');
    expect(refusedHost('localhost', { ...NOTHING, allowLoopback: true })).toBeNull();
    expect(refusedHost('metadata.google.internal', EVERYTHING)).toBe('link-local');
    expect(refusedHost('metadata.goog', EVERYTHING)).toBe('link-local');
    expect(refusedHost('hooks.example.com', NOTHING)).toBeNull();
    expect(refusedHost('10.1.2.3', NOTHING)).toBe('private');
  });
});

describe('canonicalHost', () => {
  it.each([
    ['http://2852039166/', '169.254.169.254'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['rtsp://2852039166/cam', '169.254.169.254'],
    ['rtsp://0251.0376.0251.0376/cam', '169.254.169.254'],
    ['rtsp://127.1/cam', '127.0.0.1'],
    ['http://[::ffff:169.254.1.1]/', '169.254.1.1'],
    ['rtsp://[fe80::1]/cam', 'fe80::1'],
    ['http://Camera.Example.COM./x', 'camera.example.com'],
    ['rtsp:///stream', ''],
  ])('reads %s as %s', (raw, host) => {
    expect(canonicalHost(new URL(raw))).toBe(host);
  });
});

describe('parseOutboundUrl', () => {
  it.each([
    ['rtsp://10.0.0.5/a b', 'must not contain spaces or control characters'],
    ['http://cam.example.com/s\r\nX-Injected: 1', 'must not contain spaces or control characters'],
    ['rtsp://10.0.0.5/s\u0000', 'must not contain spaces or control characters'],
    ['camera.example.com/live', 'is not a valid URL'],
    ['', 'is not a valid URL'],
    [`https://cdn.example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('refuses %j: %s', (raw, message) => {
    expect(refusal(() => parseOutboundUrl(raw)).message).toBe(message);
  });

  it('accepts exactly the maximum length', () => {
    const base = 'https://cdn.example.com/';
    expect(parseOutboundUrl(base + 'a'.repeat(2048 - base.length)).hostname).toBe('cdn.example.com');
  });
});

describe('checkHttpUrl', () => {
  const publicOnly = { addresses: NOTHING };

  it('returns the URL and its canonical host', () => {
    const { url, host } = checkHttpUrl('HTTPS://Hooks.Example.com/in', publicOnly);
    expect(url.toString()).toBe('https://hooks.example.com/in');
    expect(host).toBe('hooks.example.com');
  });

  it.each([
    ['ftp://x.example.com/', 'scheme must be https or http', undefined],
    ['rtsp://x.example.com/', 'scheme must be https or http', undefined],
    ['https://u:p@x.example.com/', 'must not contain credentials', undefined],
    ['https://u@x.example.com/', 'must not contain credentials', undefined],
    ['https://x.example.com/?token=1', 'must not contain a query string', undefined],
    ['http://127.0.0.1:8000', 'must not point at a loopback address', 'loopback'],
    ['http://localhost:8000', 'must not point at a loopback address', 'loopback'],
    ['http://10.0.0.1:8000', 'must not point at a private address', 'private'],
    ['http://[fe80::1]/', 'must not point at a link-local address', 'link-local'],
    ['http://metadata.google.internal/', 'must not point at a link-local address', 'link-local'],
  ])('refuses %s: %s', (raw, message, refused) => {
    const error = refusal(() => checkHttpUrl(raw, publicOnly));
    expect(error.message).toBe(message);
    expect(error.refused).toBe(refused);
  });

  it('allows credentials and a query when the caller does', () => {
    expect(
      checkHttpUrl('https://u:p@x.example.com/?a=1', {
        ...publicOnly,
        allowCredentials: true,
        allowQuery: true,
      }).host,
    ).toBe('x.example.com');
  });
});

describe('OUTBOUND_RULES', () => {
  const judge = (rules: AddressRules) => ({
    loopback: refusedAddress('127.0.0.1', rules),
    private: refusedAddress('10.0.0.1', rules),
    linkLocal: refusedAddress('169.254.10.1', rules),
    metadata: refusedAddress('169.254.169.254', rules),
    public: refusedAddress('93.184.215.14', rules),
  });

  it('lets stream sources reach private cameras, and loopback only in development', () => {
    expect(judge(OUTBOUND_RULES.streamSource(false))).toEqual({
      loopback: 'loopback',
      private: null,
      linkLocal: 'link-local',
      metadata: 'link-local',
      public: null,
    });
    expect(judge(OUTBOUND_RULES.streamSource(true)).loopback).toBeNull();
  });

  it('keeps webhooks on the internet unless the operator opens everything but metadata', () => {
    expect(judge(OUTBOUND_RULES.webhook(false))).toEqual({
      loopback: 'loopback',
      private: 'private',
      linkLocal: 'link-local',
      metadata: 'link-local',
      public: null,
    });
    expect(judge(OUTBOUND_RULES.webhook(true))).toEqual({
      loopback: null,
      private: null,
      linkLocal: null,
      metadata: 'link-local',
      public: null,
    });
  });

  it('lets configured GPU nodes be on this machine, and registered ones only on private or public networks', () => {
    expect(judge(OUTBOUND_RULES.configuredGpuNode)).toEqual({
      loopback: null,
      private: null,
      linkLocal: 'link-local',
      metadata: 'link-local',
      public: null,
    });
    expect(judge(OUTBOUND_RULES.registeredGpuNode)).toEqual({
      loopback: 'loopback',
      private: null,
      linkLocal: 'link-local',
      metadata: 'link-local',
      public: null,
    });
  });
});
