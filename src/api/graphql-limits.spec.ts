import { buildSchema, parse, validate } from 'graphql';
import { oncePerOperationRule } from './graphql-limits';

const schema = buildSchema(`
  type Verification { ok: Boolean! }
  type Query { verifyAuditChain: Verification! me: String }
`);
const errorsOf = (query: string): string[] =>
  validate(schema, parse(query), [oncePerOperationRule(['verifyAuditChain'])]).map((error) => error.message);

describe('oncePerOperationRule', () => {
  it('accepts the field once, also when a fragment repeats it under the same key', () => {
    expect(errorsOf('{ verifyAuditChain { ok } me }')).toEqual([]);
    expect(
      errorsOf('{ v: verifyAuditChain { ok } ...F } fragment F on Query { v: verifyAuditChain { ok } }'),
    ).toEqual([]);
    expect(errorsOf('{ a: me b: me }')).toEqual([]);
  });

  it('refuses it under two keys: aliases, fragments and inline fragments alike', () => {
    const twice = [
      '{ a: verifyAuditChain { ok } b: verifyAuditChain { ok } }',
      '{ verifyAuditChain { ok } ...F } fragment F on Query { again: verifyAuditChain { ok } }',
      '{ verifyAuditChain { ok } ... on Query { x: verifyAuditChain { ok } } }',
    ];
    for (const query of twice)
      expect(errorsOf(query)).toEqual([
        'verifyAuditChain may be asked for once per operation (found 2 times): it re-reads the whole chain each time',
      ]);
  });

  it('counts each operation of a document on its own', () => {
    expect(errorsOf('query A { verifyAuditChain { ok } } query B { verifyAuditChain { ok } }')).toEqual([]);
  });
});
