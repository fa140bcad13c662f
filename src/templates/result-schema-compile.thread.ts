/**
 * The result-schema compiler's worker thread (result-schema-compiler.ts): Ajv generates code for a
 * schema synchronously, in time that grows with the schema, so tenants' schemas compile here, off
 * the API's event loop.
 */
import { compileProblems, type SchemaProblem } from './result-schema';

export const COMPILE_SCHEMA_TASK = 'compileSchema';

export function compileSchema(schema: object): SchemaProblem[] {
  return compileProblems(schema);
}
