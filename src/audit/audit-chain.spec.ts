import { createHash } from 'node:crypto';
import { asStoredJson, auditEventHash, canonicalAuditEncoding, ChainedAuditFields } from './audit-chain';
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

describe('chainBreakOf', () => {
  const row = (chainIndex: number, prevHash: string | null) => {
    const fields = { ...event, chainIndex, prevHash };
    return {
      ...fields,
      id: `id-${chainIndex}`,
      data: fields.data as never,
      hash: auditEventHash(fields),
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
});
