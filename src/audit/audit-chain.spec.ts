import { createHash, createHmac } from 'node:crypto';
import {
  asStoredJson,
  auditEventHash,
  canonicalAuditEncoding,
  ChainedAuditFields,
  MissingMacKeyError,
} from './audit-chain';
import { chainBreakOf } from './audit-chain.service';

const event: ChainedAuditFields = {
  tenantId: '01900000-0000-7000-8000-000000000001',
  chainIndex: 3,
  prevHash: 'a'.repeat(64),
  createdAt: new Date('2026-11-21T14:23:06.120Z'),
  actorType: 'user',
  actorId: '01900000-0000-7000-8000-000000000002',
  action: 'reviewItem.decide',
  entityType: 'ReviewItem',
  entityId: '01900000-0000-7000-8000-000000000003',
  data: { reason: 'climbing the fence', decision: 'CONFIRM_VIOLATION', notes: null },
};

describe('audit chain encoding', () => {
  it('is RFC 8785 canonical JSON: sorted keys, no whitespace, times with milliseconds', () => {
    expect(canonicalAuditEncoding(event)).toBe(
      '{"action":"reviewItem.decide","actorId":"01900000-0000-7000-8000-000000000002","actorType":"user",' +
        '"chainIndex":3,"createdAt":"2026-11-21T14:23:06.120Z",' +
        '"data":{"decision":"CONFIRM_VIOLATION","notes":null,"reason":"climbing the fence"},' +
        '"entityId":"01900000-0000-7000-8000-000000000003","entityType":"ReviewItem",' +
        `"prevHash":"${'a'.repeat(64)}","tenantId":"01900000-0000-7000-8000-000000000001"}`,
    );
    expect(auditEventHash(event)).toBe(
      createHash('sha256').update(canonicalAuditEncoding(event)).digest('hex'),
    );
  });

  it('does not depend on the order of keys in data (jsonb reorders them)', () => {
    const reordered = {
      ...event,
      data: { notes: null, decision: 'CONFIRM_VIOLATION', reason: 'climbing the fence' },
    };
    expect(auditEventHash(reordered)).toBe(auditEventHash(event));
  });

  it('changes with every hashed field', () => {
    const base = auditEventHash(event);
    const variants: Partial<ChainedAuditFields>[] = [
      { tenantId: '01900000-0000-7000-8000-000000000009' },
      { chainIndex: 4 },
      { prevHash: null },
      { createdAt: new Date('2026-11-21T14:23:06.121Z') },
      { actorType: 'apiKey' },
      { actorId: null },
      { action: 'reviewItem.claim' },
      { entityType: 'Incident' },
      { entityId: null },
      { data: { ...(event.data as object), reason: 'climbing the gate' } },
    ];
    for (const variant of variants) expect(auditEventHash({ ...event, ...variant })).not.toBe(base);
  });

  it('stores data as JSON gives it back: undefined members dropped, dates as ISO strings', () => {
    expect(
      asStoredJson({ a: undefined, b: new Date('2026-01-01T00:00:00.000Z'), c: [1, undefined] }),
    ).toEqual({
      b: '2026-01-01T00:00:00.000Z',
      c: [1, null],
    });
    expect(asStoredJson(undefined)).toEqual({});
  });
});

const KEYS = [
  { id: 'k1', secret: 'one'.repeat(12) },
  { id: 'k2', secret: 'two'.repeat(12) },
];

describe('keyed audit hashes', () => {
  it('are HMAC-SHA256 under the named key over the encoding with macKeyId added', () => {
    const keyed = { ...event, macKeyId: 'k2' };
    expect(canonicalAuditEncoding(keyed)).toBe(
      canonicalAuditEncoding(event).replace('"prevHash"', '"macKeyId":"k2","prevHash"'),
    );
    expect(auditEventHash(keyed, KEYS)).toBe(
      createHmac('sha256', 'two'.repeat(12)).update(canonicalAuditEncoding(keyed)).digest('hex'),
    );
    // An unkeyed event hashes as it always did, whatever keys are at hand.
    expect(auditEventHash({ ...event, macKeyId: null }, KEYS)).toBe(auditEventHash(event));
    expect(auditEventHash({ ...keyed, macKeyId: 'k1' }, KEYS)).not.toBe(auditEventHash(keyed, KEYS));
  });

  it('cannot be computed without the key', () => {
    expect(() => auditEventHash({ ...event, macKeyId: 'k3' }, KEYS)).toThrow(MissingMacKeyError);
  });
});

describe('chainBreakOf', () => {
  const row = (chainIndex: number, prevHash: string | null, macKeyId: string | null = null) => {
    const fields = { ...event, chainIndex, prevHash, macKeyId };
    return {
      ...fields,
      id: `id-${chainIndex}`,
      data: fields.data as never,
      hash: auditEventHash(fields, KEYS),
    };
  };
  const first = row(1, null);
  const second = row(2, first.hash);

  it('accepts a linked, unchanged event', () => {
    expect(chainBreakOf(first, 1, null)).toBeNull();
    expect(chainBreakOf(second, 2, first)).toBeNull();
  });

  it('names a gap, a broken link and changed content', () => {
    expect(chainBreakOf(row(3, first.hash), 2, first)).toBe('chain index gap: expected 2, found 3');
    expect(chainBreakOf(row(2, 'f'.repeat(64)), 2, first)).toMatch(/^previous-hash link broken/);
    expect(chainBreakOf(row(1, 'f'.repeat(64)), 1, null)).toMatch(/^previous-hash link broken/);
    expect(chainBreakOf({ ...second, action: 'forged' }, 2, first)).toBe(
      'event content does not match its hash',
    );
  });

  it('checks keyed events with their key, and refuses an unkeyed event after a keyed one', () => {
    const keyedFirst = row(1, null, 'k1');
    const keyedSecond = row(2, keyedFirst.hash, 'k2');
    expect(chainBreakOf(keyedFirst, 1, null, KEYS)).toBeNull();
    expect(chainBreakOf(keyedSecond, 2, keyedFirst, KEYS)).toBeNull();
    // Rewritten with a plain hash and its key id kept, or with its key id dropped.
    const plain = auditEventHash({ ...keyedSecond, action: 'forged', macKeyId: null });
    expect(chainBreakOf({ ...keyedSecond, action: 'forged', hash: plain }, 2, keyedFirst, KEYS)).toBe(
      'event content does not match its hash (HMAC-SHA256, key "k2")',
    );
    expect(
      chainBreakOf({ ...keyedSecond, action: 'forged', hash: plain, macKeyId: null }, 2, keyedFirst, KEYS),
    ).toMatch(/^unkeyed event after keyed ones/);
    // Unkeyed events before the first keyed one are fine; a key the verifier lacks is named.
    expect(chainBreakOf(row(2, first.hash, 'k1'), 2, first, KEYS)).toBeNull();
    expect(chainBreakOf(keyedSecond, 2, keyedFirst, [KEYS[0]!])).toBe(
      'event hashed with MAC key "k2", which this verifier does not hold (AUDIT_MAC_KEYS)',
    );
  });
});
