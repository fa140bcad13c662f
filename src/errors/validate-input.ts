import { z } from 'zod';
import { badInput } from './domain-error';

/**
 * Parses input with a zod schema and turns every problem into a BAD_USER_INPUT error that names
 * the field, prefixed with where the input came from (`input`, `first`, …).
 */
export function validateInput<T extends z.ZodType>(schema: T, value: unknown, prefix = 'input'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw badInput(
    parsed.error.issues.map((issue) => ({
      field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    })),
  );
}
