import { renderTemplate, variablesOf } from './prompt-renderer';

describe('variablesOf', () => {
  it('lists variables in order of first appearance, once each', () => {
    expect(
      variablesOf('Watch {{zone}} for {{objects}}; alert in {{zone}} if {{ threshold }} exceeded'),
    ).toEqual(['zone', 'objects', 'threshold']);
  });

  it('accepts whitespace inside the braces', () => {
    expect(variablesOf('{{ a }} {{b  }} {{\tc\n}}')).toEqual(['a', 'b', 'c']);
  });

  it('accepts underscores and digits after the first character', () => {
    expect(variablesOf('{{_private}} {{camera_2}}')).toEqual(['_private', 'camera_2']);
  });

  it('ignores text that is not a variable', () => {
    expect(variablesOf('no variables here')).toEqual([]);
    expect(variablesOf('{single} {{}} {{ }} {{2fast}} {{with-dash}} {{a b}} {{ a.b }}')).toEqual([]);
    expect(variablesOf('')).toEqual([]);
  });

  it('can be called repeatedly (the global regex keeps no state between calls)', () => {
    const text = '{{a}} and {{b}}';
    expect(variablesOf(text)).toEqual(['a', 'b']);
    expect(variablesOf(text)).toEqual(['a', 'b']);
  });
});

describe('renderTemplate', () => {
  it('substitutes every occurrence and reports nothing missing or unused', () => {
    expect(
      renderTemplate('In {{zone}}, count {{ object }}s. Report {{zone}} again.', {
        zone: 'gate 3',
        object: 'person',
      }),
    ).toEqual({
      text: 'In gate 3, count persons. Report gate 3 again.',
      missingVariables: [],
      unusedVariables: [],
    });
  });

  it('leaves missing variables as written and reports them once', () => {
    expect(renderTemplate('{{a}} {{ b }} {{b}}', { a: 'A' })).toEqual({
      text: 'A {{ b }} {{b}}',
      missingVariables: ['b'],
      unusedVariables: [],
    });
  });

  it('reports values no variable uses', () => {
    expect(renderTemplate('{{a}}', { a: 'A', extra: 'x', other: 'y' })).toEqual({
      text: 'A',
      missingVariables: [],
      unusedVariables: ['extra', 'other'],
    });
  });

  it('reports both missing and unused variables', () => {
    const rendered = renderTemplate('{{wanted}}', { given: 'x' });
    expect(rendered.missingVariables).toEqual(['wanted']);
    expect(rendered.unusedVariables).toEqual(['given']);
    expect(rendered.text).toBe('{{wanted}}');
  });

  it('substitutes an empty value', () => {
    expect(renderTemplate('[{{a}}]', { a: '' }).text).toBe('[]');
  });

  it('inserts values literally, without replacement patterns or re-expansion', () => {
    expect(renderTemplate('{{a}}|{{b}}', { a: "$& $1 $$ $` $'", b: '{{a}}' }).text).toBe(
      "$& $1 $$ $` $'|{{a}}",
    );
  });

  it('leaves a text without variables unchanged', () => {
    expect(renderTemplate('Describe the scene.', {})).toEqual({
      text: 'Describe the scene.',
      missingVariables: [],
      unusedVariables: [],
    });
  });

  // `name in values` would also find Object.prototype members and render a function's source.
  it('treats a variable named like an Object.prototype member as missing', () => {
    expect(renderTemplate('{{constructor}} {{ toString }}', {})).toEqual({
      text: '{{constructor}} {{ toString }}',
      missingVariables: ['constructor', 'toString'],
      unusedVariables: [],
    });
  });
});
