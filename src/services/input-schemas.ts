import { z } from 'zod';
import { badInput } from '../errors/domain-error';

/** Input rules shared by several services, so a field means the same everywhere. */
export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'must be 1-48 lowercase letters, digits or inner dashes');

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email('must be an e-mail address'));

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(120, 'must be at most 120 characters');

export const passwordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');

export const roleSchema = z.enum(['ADMIN', 'MODERATOR', 'AUDITOR']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row, and is refused before it reaches the database. */
export function requireId(value: string, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw badInput([{ field, message: 'is not an id issued by this API' }]);
  }
  return value.toLowerCase();
}

/** The shape a caller sends before validation: the fields are known, their values are not yet trusted. */
export type Unvalidated<T> = { [K in keyof T]?: unknown };
