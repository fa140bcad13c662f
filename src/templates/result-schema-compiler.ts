/**
 * Tenants' result schemas checked off the event loop: the cheap shape checks run in place, the Ajv
 * compile in a worker thread (piscina) with a time limit, so a large or pathological schema never
 * stalls another tenant's requests.
 *
 *   const compiler = new ResultSchemaCompiler();
 *   const problems = await compiler.problems(schema); // [] when usable
 *   await compiler.dispose();
 *
 * The thread starts on the first check and ends after a minute idle. Checks run one at a time, each
 * with its own time limit; those waiting are capped (COMPILE_QUEUE): past that a check is refused
 * as RATE_LIMITED.
 *
 * The thread entry is the compiled .js beside this module, or the .ts source loaded through tsx
 * when it runs from source (tests and benches).
 */
import path from 'node:path';
import { Piscina } from 'piscina';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { resultSchemaShapeProblems, type SchemaProblem } from './result-schema';
import { COMPILE_SCHEMA_TASK } from './result-schema-compile.thread';

const THREAD_ENTRY = 'result-schema-compile.thread';
/** Checks waiting for the thread before new ones are refused. */
export const COMPILE_QUEUE = 16;
/** A schema that takes longer than this to compile is refused as too complex. */
export const COMPILE_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 60_000;

function threadEntry(): { filename: string; execArgv?: string[] } {
  const extension = path.extname(__filename);
  const filename = path.join(__dirname, `${THREAD_ENTRY}${extension}`);
  return extension === '.ts' ? { filename, execArgv: ['--import', 'tsx'] } : { filename };
}

export class ResultSchemaCompiler {
  private pool: Piscina<object, SchemaProblem[]> | null = null;
  /** Checks run one after another, so each one's time limit counts its own compile, not its wait. */
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly options: { timeoutMs?: number } = {}) {}

  /** The schema's problems, each naming where it is; empty when the schema is usable. */
  async problems(schema: unknown): Promise<SchemaProblem[]> {
    const shape = resultSchemaShapeProblems(schema);
    if (shape.length > 0) return shape;
    if (this.waiting >= COMPILE_QUEUE)
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        'Too many result schemas are being checked; try again shortly',
        {
          retryAfterSeconds: 5,
        },
      );
    this.waiting += 1;
    const turn = this.tail.then(() => this.compile(schema as object));
    this.tail = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.waiting -= 1;
    }
  }

  private async compile(schema: object): Promise<SchemaProblem[]> {
    this.pool ??= new Piscina<object, SchemaProblem[]>({
      ...threadEntry(),
      name: COMPILE_SCHEMA_TASK,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: IDLE_TIMEOUT_MS,
    });
    const timeoutMs = this.options.timeoutMs ?? COMPILE_TIMEOUT_MS;
    try {
      return await this.pool.run(schema, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // Piscina ends the thread of an aborted task; the next check starts a fresh one.
      if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError')
        return [{ path: '', message: `is too complex: it did not compile within ${timeoutMs / 1000} s` }];
      throw error;
    }
  }

  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
