import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(__dirname, '..');
const depcruise = join(repo, 'node_modules', '.bin', 'depcruise');

/**
 * The layer rule of `npm run lint` (dependency-cruiser with the project's own configuration), run
 * on a small tree laid out like src/: a planted back-edge and a planted cycle must fail it, and
 * the same tree without them must pass.
 */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-layers-'));
  try {
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs' } }));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const args = ['src', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'err'];
    try {
      const { stdout, stderr } = await run(depcruise, args, { cwd: dir });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, output: failed.stdout + failed.stderr };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const service = `export const greet = (name: string): string => 'hello ' + name;\n`;

describe('the layer rule of npm run lint', () => {
  jest.setTimeout(60_000);

  it('passes imports that go down the layers', async () => {
    const result = await cruise({
      'src/services/greeting.service.ts': `import { limit } from '../config/limits';\n${service}export const max = limit;\n`,
      'src/config/limits.ts': 'export const limit = 3;\n',
    });
    expect(result.output).not.toMatch(/error/);
    expect(result.code).toBe(0);
  });

  it('fails on a planted back-edge: a lower layer importing a higher one', async () => {
    const result = await cruise({
      'src/services/greeting.service.ts': service,
      'src/db/planted.ts': `import { greet } from '../services/greeting.service';\nexport const x = greet('db');\n`,
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /layer-db[\w-]*: src\/db\/planted\.ts → src\/services\/greeting\.service\.ts/,
    );
  });

  it('fails on a planted cycle inside one layer', async () => {
    const result = await cruise({
      'src/review/a.ts': `import { b } from '../incidents/b';\nexport const a = (): number => b() + 1;\n`,
      'src/incidents/b.ts': `import { a } from '../review/a';\nexport const b = (): number => (a ? 1 : 0);\n`,
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/no-cycle/);
  });

  it('fails on a folder that belongs to no layer', async () => {
    const result = await cruise({
      'src/misc/helper.ts': `import { limit } from '../config/limits';\nexport const y = limit;\n`,
      'src/config/limits.ts': 'export const limit = 3;\n',
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/unlayered-folder/);
  });

  it('fails on a write to a review item, incident or stream outside its owner', async () => {
    const planted = [
      "import type { TenantDb } from '../db/tenant-scoped-db';",
      "export const f = (db: TenantDb) => db.reviewItem.updateMany({ where: {}, data: { status: 'OPEN' } });",
      '',
    ].join('\n');
    const lint = (filename: string) =>
      new Promise<{ code: number | null; output: string }>((done) => {
        const child = execFile(
          join(repo, 'node_modules', '.bin', 'eslint'),
          ['--stdin', '--stdin-filename', filename],
          { cwd: repo },
          (error, stdout, stderr) =>
            done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
        child.stdin!.end(planted);
      });
    const outside = await lint('src/rules/planted-owner-write.ts');
    expect(outside.code).not.toBe(0);
    expect(outside.output).toMatch(/written by their owners/);
    const owner = await lint('src/review/planted-owner-write.ts');
    expect(owner.output).not.toMatch(/written by their owners/);
  });
});
