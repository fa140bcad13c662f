import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './project-root';
import { normalizeNodeUrl, parseConfiguredNodes, registeredNodeUrlSchema } from './node-definition';

describe('parseConfiguredNodes', () => {
  it('reads nodes with defaults and trims the URL', () => {
    const nodes = parseConfiguredNodes(
      JSON.stringify([
        { name: 'gpu-1', url: 'http://gpu-1:8000/', model: 'qwen3-vl-8b-thinking' },
        { name: 'gpu-2', url: 'https://gpu-2', apiKey: 'k', model: 'm', maxConcurrency: 8, weight: 2 },
      ]),
    );
    expect(nodes).toEqual([
      {
        name: 'gpu-1',
        url: 'http://gpu-1:8000',
        apiKey: null,
        model: 'qwen3-vl-8b-thinking',
        maxConcurrency: 16,
        weight: 1,
        state: 'ACTIVE',
        source: 'config',
      },
      {
        name: 'gpu-2',
        url: 'https://gpu-2',
        apiKey: 'k',
        model: 'm',
        maxConcurrency: 8,
        weight: 2,
        state: 'ACTIVE',
        source: 'config',
      },
    ]);
  });

  it('strips a trailing /v1 and slashes, so calls never go to /v1/v1', () => {
    const urls = [
      'http://gpu-1:8000/v1',
      'http://gpu-1:8000/v1/',
      'http://gpu-1:8000/V1//',
      'http://gpu-1:8000//',
    ];
    const nodes = parseConfiguredNodes(
      JSON.stringify(urls.map((url, index) => ({ name: `gpu-${index}`, url, model: 'm' }))),
    );
    expect(nodes.map((node) => node.url)).toEqual(urls.map(() => 'http://gpu-1:8000'));
    expect(normalizeNodeUrl('https://gpu.example.net/vllm/v1/')).toBe('https://gpu.example.net/vllm');
    expect(normalizeNodeUrl('https://gpu.example.net/v10')).toBe('https://gpu.example.net/v10');
  });

  it('accepts an empty list', () => {
    expect(parseConfiguredNodes('[]')).toEqual([]);
  });

  it.each([
    ['not JSON', '{', 'must be a JSON array'],
    ['an object', '{"name":"a"}', '(root)'],
    ['a bad URL', '[{"name":"a","url":"ftp://x","model":"m"}]', '0.url'],
    ['credentials in the URL', '[{"name":"a","url":"http://u:p@x","model":"m"}]', '0.url'],
    ['a bad name', '[{"name":"A B","url":"http://x","model":"m"}]', '0.name'],
    ['an unknown field', '[{"name":"a","url":"http://x","model":"m","slots":3}]', 'slots'],
    [
      'zero concurrency',
      '[{"name":"a","url":"http://x","model":"m","maxConcurrency":0}]',
      '0.maxConcurrency',
    ],
    [
      'a duplicate name',
      '[{"name":"a","url":"http://x","model":"m"},{"name":"a","url":"http://y","model":"m"}]',
      'appears twice',
    ],
  ])('refuses %s', (_case, json, message) => {
    expect(() => parseConfiguredNodes(json)).toThrow(message);
  });
});

describe('GPU node URLs', () => {
  const configured = (url: string) => () =>
    parseConfiguredNodes(JSON.stringify([{ name: 'a', url, model: 'm' }]));

  it('lets the operator configure a node on this machine or a private network', () => {
    expect(configured('http://127.0.0.1:8000')()[0]!.url).toBe('http://127.0.0.1:8000');
    expect(configured('http://localhost:8000')()[0]!.url).toBe('http://localhost:8000');
    expect(configured('http://10.20.0.1:8000')()[0]!.url).toBe('http://10.20.0.1:8000');
  });

  it.each(['http://169.254.169.254/', 'http://[fe80::1]:8000', 'http://metadata.google.internal'])(
    'refuses a configured node at the link-local address %s',
    (url) => {
      expect(configured(url)).toThrow('0.url: must not point at a link-local address');
    },
  );

  it('refuses a query, since /v1 paths are appended to the URL', () => {
    expect(configured('http://gpu-1:8000/?k=1')).toThrow('must not contain a query string');
  });

  it('lets a node registered through the API be on a private network, not on the workers’ machine', () => {
    expect(registeredNodeUrlSchema.safeParse('http://10.20.0.9:8000').success).toBe(true);
    expect(registeredNodeUrlSchema.safeParse('https://gpu.example.com').success).toBe(true);
    for (const url of ['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000']) {
      const parsed = registeredNodeUrlSchema.safeParse(url);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain('VLLM_NODES');
    }
    expect(registeredNodeUrlSchema.safeParse('http://169.254.169.254').success).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  it("gives the worker a VLLM_NODES that start-up accepts (the gpu profile's node)", () => {
    const compose = readFileSync(path.join(projectRoot(), 'docker-compose.yml'), 'utf8');
    const line = /^\s*VLLM_NODES: '(.*)'\s*$/m.exec(compose);
    expect(line).not.toBeNull();
    // Compose substitutes ${VAR:-default} before the app sees it.
    const value = line![1]!.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    expect(parseConfiguredNodes(value)).toMatchObject([
      { name: 'vllm-1', url: 'http://vllm:8000', model: 'qwen3-vl-8b-thinking' },
    ]);
  });
});
