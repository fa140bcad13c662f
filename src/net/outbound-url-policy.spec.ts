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

describe('special and embedded addresses', () => {
  // Addresses that reach a cloud provider's instance services (metadata, the platform agent),
  // refused under every rule set.
  it.each([
    '169.254.169.254',
    'fd00:ec2::254',
    'FD00:EC2:0:0:0:0:0:254',
    '100.100.100.200',
    '192.0.0.192',
    '168.63.129.16',
    '::ffff:168.63.129.16',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::192.0.0.192',
  ])('%s is a metadata address, refused whatever the rules allow', (ip) => {
    expect(refusedAddress(ip, EVERYTHING)).toBe('link-local');
  });

  // IPv6 forms that carry an IPv4 address are judged by that address.
  it.each([
    ['::ffff:10.0.0.1', 'private'], // IPv4-mapped
    ['::ffff:0:7f00:1', 'loopback'], // SIIT (RFC 6145)
    ['::127.0.0.1', 'loopback'], // IPv4-compatible (deprecated)
    ['::7f00:1', 'loopback'],
    ['::a9fe:101', 'link-local'],
    ['::10.1.2.3', 'private'],
    ['64:ff9b::10.0.0.1', 'private'], // NAT64 well-known prefix (RFC 6052)
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::c0a8:101', 'private'],
    ['64:ff9b::a9fe:1', 'link-local'],
    ['2002:7f00:1::1', 'loopback'], // 6to4
    ['2002:a00:1::', 'private'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'], // Teredo, client 10.0.0.1 (inverted)
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it.each([
    ['64:ff9b:1::a00:1', 'private'], // local-use NAT64 (RFC 8215): a translator on this network
    ['64:ff9b:1:ffff::1', 'private'],
    ['fec0::1', 'private'], // deprecated site-local
    ['198.18.0.1', 'private'], // benchmarking
    ['198.19.255.255', 'private'],
    ['192.0.0.8', 'reserved'], // IETF protocol assignments
    ['192.0.2.1', 'reserved'], // documentation
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'reserved'], // multicast
    ['239.255.255.250', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'], // discard-only
    ['64:ff9b::e000:1', 'reserved'], // NAT64 of multicast
    ['::ffff:255.255.255.255', 'reserved'],
    ['fe80::1%eth0', 'link-local'], // a zone index does not hide the address
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it.each([
    '64:ff9b::808:808', // NAT64 of a public address: how an IPv6-only network reaches the internet
    '64:ff9b::93.184.215.14',
    '::ffff:8.8.8.8',
    '2002:808:808::1',
    '2001:4860:4860::8888',
    '192.0.1.1',
    '198.20.0.1',
    '168.63.129.17',
  ])('%s is public', (ip) => {
    expect(addressKind(ip)).toBeNull();
    expect(refusedAddress(ip, NOTHING)).toBeNull();
  });

  it('refuses reserved addresses whatever the rules allow', () => {
    expect(refusedAddress('192.0.2.1', EVERYTHING)).toBe('reserved');
    expect(refusedAddress('ff02::1', EVERYTHING)).toBe('reserved');
  });

  it.each([
    ['http://[64:ff9b::7f00:1]/', 'loopback'],
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[64:ff9b:1::a00:1]/', 'private'],
    ['http://[::ffff:0:a00:1]/', 'private'],
    ['http://192.0.0.192/', 'link-local'],
    ['http://168.63.129.16/', 'link-local'],
    ['http://[fd00:ec2::254]/', 'link-local'],
    ['http://100.100.100.200/', 'link-local'],
    ['http://224.0.0.1/', 'reserved'],
  ])('refuses %s as written (%s)', (raw, kind) => {
    expect(refusal(() => checkHttpUrl(raw, { addresses: NOTHING })).refused).toBe(kind);
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
