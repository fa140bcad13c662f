import { parse, type OperationDefinitionNode } from 'graphql';
import { rootFieldLabel } from './metrics';

const operationOf = (document: string) => parse(document).definitions[0] as OperationDefinitionNode;

describe('rootFieldLabel', () => {
  it('labels an operation by its root field, never by the name its client gave it', () => {
    expect(rootFieldLabel(operationOf('query AnyNameAtAll123 { myTenant { id } }'))).toBe('myTenant');
    expect(rootFieldLabel(operationOf('mutation { renamed: login(input: {}) { token } }'))).toBe('login');
    expect(rootFieldLabel(operationOf('{ me { id } streams { edges { cursor } } }'))).toBe('multiple');
    expect(rootFieldLabel(operationOf('query { ...Root } fragment Root on Query { me { id } }'))).toBe(
      'multiple',
    );
    expect(rootFieldLabel(undefined)).toBe('invalid');
  });
});
