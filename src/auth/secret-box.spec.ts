import { openSecret, sealSecret } from './secret-box';

describe('secret box', () => {
  it('opens what it sealed, and the sealed form does not contain the secret', () => {
    const sealed = sealSecret('node-key-123', 'operator secret');
    expect(sealed).not.toContain('node-key-123');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(openSecret(sealed, 'operator secret')).toBe('node-key-123');
  });

  it('seals the same secret differently each time (random IV)', () => {
    expect(sealSecret('x', 'k')).not.toBe(sealSecret('x', 'k'));
  });

  it('refuses a wrong key, a changed byte and garbage', () => {
    const sealed = sealSecret('node-key-123', 'right');
    expect(() => openSecret(sealed, 'wrong')).toThrow();
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() =>
      openSecret([...parts.slice(0, 3), flipped.toString('base64url')].join('.'), 'right'),
    ).toThrow();
    expect(() => openSecret('garbage', 'right')).toThrow('not a sealed secret');
  });

  it('refuses to work without a key', () => {
    expect(() => sealSecret('x', '')).toThrow('no encryption key configured');
  });
});
