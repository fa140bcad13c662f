import { sealSecret } from '../../auth/secret-box';
import type { InferenceNode } from '../../generated/prisma/client';
import { configuredNodes, registeredNode } from './node-registry';

const SECRET = 'operator secret';

const row = (overrides: Partial<InferenceNode> = {}): InferenceNode => ({
  id: '0190a000-0000-7000-8000-000000000001',
  name: 'gpu-b',
  url: 'http://10.0.0.2:8000',
  apiKeyEncrypted: null,
  modelName: 'qwen3-vl-8b-thinking',
  maxConcurrency: 8,
  weight: 2,
  state: 'ACTIVE',
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
});

describe('registeredNode', () => {
  it('turns a row into a registry definition with its key opened and its state kept', () => {
    expect(
      registeredNode(
        row({ apiKeyEncrypted: sealSecret('k-123', SECRET), state: 'DRAINING' }),
        new Set(),
        SECRET,
      ),
    ).toEqual({
      node: {
        name: 'gpu-b',
        url: 'http://10.0.0.2:8000',
        apiKey: 'k-123',
        model: 'qwen3-vl-8b-thinking',
        maxConcurrency: 8,
        weight: 2,
        state: 'DRAINING',
        source: 'registry',
      },
    });
  });

  it('needs no secret for a node without a key', () => {
    expect(registeredNode(row(), new Set(), '')).toMatchObject({ node: { apiKey: null } });
  });

  it('skips a row whose key cannot be opened, naming it', () => {
    const sealed = sealSecret('k-123', 'another secret');
    expect(registeredNode(row({ apiKeyEncrypted: sealed }), new Set(), SECRET)).toEqual({
      name: 'gpu-b',
      problem: expect.stringContaining('cannot be decrypted'),
    });
    expect(registeredNode(row({ apiKeyEncrypted: sealed }), new Set(), '')).toEqual({
      name: 'gpu-b',
      problem: expect.stringContaining('INFERENCE_NODE_KEY_SECRET is not set'),
    });
    expect(registeredNode(row({ apiKeyEncrypted: 'garbage' }), new Set(), SECRET)).toHaveProperty('problem');
  });

  it('lets a configured node of the same name win', () => {
    expect(registeredNode(row(), new Set(['gpu-b']), SECRET)).toEqual({
      name: 'gpu-b',
      problem: expect.stringContaining('VLLM_NODES'),
    });
  });
});

describe('configuredNodes', () => {
  it('parses VLLM_NODES', () => {
    expect(
      configuredNodes({ VLLM_NODES: '[{"name":"gpu-a","url":"http://10.0.0.1:8000/","model":"m"}]' }),
    ).toEqual([
      {
        name: 'gpu-a',
        url: 'http://10.0.0.1:8000',
        apiKey: null,
        model: 'm',
        maxConcurrency: 16,
        weight: 1,
        state: 'ACTIVE',
        source: 'config',
      },
    ]);
  });

  it('names the variable when it is malformed', () => {
    expect(() => configuredNodes({ VLLM_NODES: '{' })).toThrow(/^Invalid configuration: VLLM_NODES: /);
    expect(() => configuredNodes({ VLLM_NODES: '[{"name":"A","url":"http://x","model":"m"}]' })).toThrow(
      /VLLM_NODES: 0\.name/,
    );
  });
});
