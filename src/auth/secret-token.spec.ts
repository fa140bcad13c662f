import { createHash } from 'node:crypto';
import {
  API_KEY_PREFIX,
  digestMatches,
  newApiKey,
  newInitialPassword,
  newSessionToken,
  parseApiKey,
  SESSION_TOKEN_PREFIX,
  sha256Hex,
} from './secret-token';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

describe('sha256Hex', () => {
  it('is the hex sha256 digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('API keys', () => {
  it('round-trips: parseApiKey gives the prefix and the secret whose sha256 is secretHash', () => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const { key, prefix, secretHash } = newApiKey();
      expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(prefix).toMatch(/^[0-9a-f]{12}$/);
      const parsed = parseApiKey(key);
      expect(parsed).not.toBeNull();
      expect(parsed!.prefix).toBe(prefix);
      expect(key).toBe(`vgk_${prefix}_${parsed!.secret}`);
      expect(sha256(parsed!.secret)).toBe(secretHash);
      expect(digestMatches(parsed!.secret, secretHash)).toBe(true);
    }
  });

  it('carries a 256-bit secret', () => {
    const secret = parseApiKey(newApiKey().key)!.secret;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });

  it('makes a different key, prefix and hash each call', () => {
    const keys = Array.from({ length: 20 }, () => newApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(20);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(20);
    expect(new Set(keys.map((k) => k.secretHash)).size).toBe(20);
  });

  it('does not store the key or the secret as the hash', () => {
    const { key, secretHash } = newApiKey();
    expect(secretHash).not.toBe(sha256(key));
    expect(key).not.toContain(secretHash);
  });

  const valid = newApiKey().key;
  const [, prefix, secret] = /^vgk_([0-9a-f]{12})_(.{43})$/.exec(valid)!;

  it.each([
    ['empty', ''],
    ['the session prefix', `vgs_${prefix}_${secret}`],
    ['no prefix marker', `${prefix}_${secret}`],
    ['an upper-case prefix', `vgk_${prefix!.toUpperCase().replace(/^[0-9]/, 'A')}_${secret}`],
    ['a short prefix', `vgk_${prefix!.slice(1)}_${secret}`],
    ['a long prefix', `vgk_${prefix}0_${secret}`],
    ['a short secret', `vgk_${prefix}_${secret!.slice(1)}`],
    ['a long secret', `vgk_${prefix}_${secret}A`],
    ['padding in the secret', `vgk_${prefix}_${secret!.slice(1)}=`],
    ['a non-base64url secret character', `vgk_${prefix}_${secret!.slice(1)}+`],
    ['a leading space', ` ${valid}`],
    ['a trailing newline', `${valid}\n`],
    ['a Bearer token', `Bearer ${valid}`],
    ['a session token', newSessionToken().token],
  ])('parseApiKey refuses %s', (_name, key) => {
    expect(parseApiKey(key)).toBeNull();
  });
});

describe('digestMatches', () => {
  it('is true only for the secret whose digest is expected', () => {
    const digest = sha256('the secret');
    expect(digestMatches('the secret', digest)).toBe(true);
    expect(digestMatches('the secreT', digest)).toBe(false);
    expect(digestMatches('', digest)).toBe(false);
  });

  it('is false, without throwing, for a malformed or truncated digest', () => {
    const digest = sha256('the secret');
    expect(digestMatches('the secret', digest.slice(0, 62))).toBe(false);
    expect(digestMatches('the secret', '')).toBe(false);
    expect(digestMatches('the secret', 'not hex at all')).toBe(false);
    expect(digestMatches('the secret', digest + '00')).toBe(false);
  });

  it('accepts an upper-case hex digest', () => {
    expect(digestMatches('the secret', sha256('the secret').toUpperCase())).toBe(true);
  });
});

describe('session tokens', () => {
  it('start with vgs_, carry 256 bits, and come with their sha256', () => {
    const { token, tokenHash } = newSessionToken();
    expect(SESSION_TOKEN_PREFIX).toBe('vgs_');
    expect(token).toMatch(/^vgs_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(tokenHash).toBe(sha256(token));
    expect(digestMatches(token, tokenHash)).toBe(true);
  });

  it('differ each call', () => {
    const tokens = Array.from({ length: 20 }, () => newSessionToken());
    expect(new Set(tokens.map((t) => t.token)).size).toBe(20);
    expect(new Set(tokens.map((t) => t.tokenHash)).size).toBe(20);
  });
});

describe('newInitialPassword', () => {
  it('is 24 URL-safe characters (144 bits) and differs each call', () => {
    const first = newInitialPassword();
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(newInitialPassword()).not.toBe(first);
  });
});
