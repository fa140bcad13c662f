import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets Vigil must send onward and so cannot hash (the API keys of GPU nodes
 * registered at run time). AES-256-GCM under a key derived from the operator's secret; the stored
 * form is "v1.<iv>.<tag>.<ciphertext>" in base64url, so a wrong key or a changed byte fails loudly.
 */
const VERSION = 'v1';

function keyOf(keyMaterial: string): Buffer {
  if (!keyMaterial) throw new Error('no encryption key configured');
  return createHash('sha256').update(`vigil-secret-box:${keyMaterial}`).digest();
}

export function sealSecret(plaintext: string, keyMaterial: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(keyMaterial), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function openSecret(sealed: string, keyMaterial: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(keyMaterial), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}
