import { parseConfiguredNodes } from './node-definition';

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
