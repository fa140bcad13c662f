import { checkWebhookUrl, forbiddenWebhookAddress, parseWebhookUrl, WebhookUrlError } from './webhook-url';

describe('webhook URL policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::a00:1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:c0a8:101', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['fd00:ec2::254', 'link-local'],
    ['100.100.100.200', 'link-local'],
    ['192.0.0.192', 'link-local'],
    ['168.63.129.16', 'link-local'],
    ['198.18.0.1', 'private'],
    ['192.0.2.10', 'reserved'],
    ['233.252.0.1', 'reserved'],
  ])('refuses %s (%s)', (ip, kind) => {
    expect(forbiddenWebhookAddress(ip)).toBe(kind);
  });

  it.each([
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '8.8.8.8',
    '2606:4700::1111',
    '192.169.0.1',
    '64:ff9b::808:808',
  ])('allows the public address %s', (ip) => {
    expect(forbiddenWebhookAddress(ip)).toBeNull();
  });

  it.each([
    ['ftp://hooks.example.com/x', 'scheme must be https or http'],
    ['https://user:pass@hooks.example.com/x', 'must not contain credentials'],
    ['https://user@hooks.example.com/x', 'must not contain credentials'],
    ['https://hooks.example.com/a b', 'must not contain spaces or control characters'],
    ['not a url', 'must not contain spaces or control characters'],
    ['hooks.example.com/x', 'is not a valid URL'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('refuses the syntax of %s', (url, message) => {
    expect(() => parseWebhookUrl(url)).toThrow(new WebhookUrlError(message));
  });

  const lookupTo =
    (...addresses: string[]) =>
    async () =>
      addresses;

  it('accepts a public host and drops the fragment', async () => {
    await expect(
      checkWebhookUrl('https://hooks.example.com/in?x=1#frag', {
        allowPrivate: false,
        lookup: lookupTo('93.184.215.14'),
      }),
    ).resolves.toBe('https://hooks.example.com/in?x=1');
  });

  it('refuses a host when any of its addresses is forbidden', async () => {
    await expect(
      checkWebhookUrl('https://hooks.example.com/in', {
        allowPrivate: false,
        lookup: lookupTo('93.184.215.14', '10.0.0.5'),
      }),
    ).rejects.toThrow(/private address/);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', /loopback/],
    ['http://2130706433/hook', /loopback/],
    ['http://0x7f.1/hook', /loopback/],
    ['http://[::1]/hook', /loopback/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fe80::1]/hook', /link-local/],
    ['http://192.168.0.10/hook', /private/],
    ['http://100.64.1.1/hook', /private/],
    ['http://metadata.google.internal/x', /link-local/],
  ])('refuses the IP-literal URL %s without a lookup', async (url, pattern) => {
    const lookup = jest.fn(lookupTo('93.184.215.14'));
    await expect(checkWebhookUrl(url, { allowPrivate: false, lookup })).rejects.toThrow(pattern);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses a name that resolves to loopback, and allows it when the operator does', async () => {
    const policy = { lookup: lookupTo('127.0.0.1') };
    await expect(
      checkWebhookUrl('http://localhost:9000/hook', { ...policy, allowPrivate: false }),
    ).rejects.toThrow(/loopback.*WEBHOOK_ALLOW_PRIVATE_URLS/);
    await expect(
      checkWebhookUrl('http://localhost:9000/hook', { ...policy, allowPrivate: true }),
    ).resolves.toBe('http://localhost:9000/hook');
  });

  it('refuses a host that does not resolve', async () => {
    const lookup = async () => {
      throw new Error('ENOTFOUND');
    };
    await expect(
      checkWebhookUrl('https://nowhere.invalid/hook', { allowPrivate: false, lookup }),
    ).rejects.toThrow('host does not resolve');
  });
});
