import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';

/**
 * Comments and documentation stand alone: a clone of the repository must explain itself. A
 * reference to a planning note kept outside the repository, or to the ticket a change came from,
 * means nothing to its reader; the facts such comments need live in docs/ instead.
 */
const ROOT = projectRoot();

/** Folders scanned, recursively, and single files at the top level. */
const FOLDERS = ['src', 'console', 'test', 'bench', 'scripts', 'prisma', '.ci', 'docs'];
const TOP_LEVEL_FILES = [
  'README.md',
  'Dockerfile',
  'docker-compose.yml',
  'jest.config.js',
  'eslint.config.mjs',
  'prisma.config.ts',
  '.dependency-cruiser.cjs',
  'tsconfig.json',
  'tsconfig.build.json',
];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'generated', 'coverage', '.media']);
/** Generated files: whatever they say comes from elsewhere. */
const SKIPPED_FILES = new Set(['console/src/graphql-env.d.ts']);
const TEXT_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|json|sql|prisma|sh|yml|yaml|md|css|html|toml)$|^run$/;

/** Notes that live outside the repository (planning, vLLM wire-format, stack and style notes). */
const OUTSIDE_NOTE = /\b(?:design|vllm-contract|stack-notes|style)\.md\b|\/work\/shared\//;
/** A ticket number: history of the code's making, not a reason. */
const TICKET = /\bissues? #?\d+\b/i;

/**
 * Files allowed to keep such references for now. Each entry says why; the list should only shrink.
 */
const ALLOWED: Record<string, string> = {
  // Applied migrations are checksummed by src/db/migration-runner.ts (and by Prisma): editing even a
  // comment makes every existing database refuse to migrate, so their first lines stay as they are.
  'prisma/migrations/20261121120000_inference_analyses_usage_nodes/migration.sql': 'applied migration',
  'prisma/migrations/20261121130000_incidents_reviews_webhooks/migration.sql': 'applied migration',
  'prisma/migrations/20261121140000_audit_chain/migration.sql': 'applied migration',
};

function filesUnder(relative: string, into: string[]): void {
  const absolute = path.join(ROOT, relative);
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    const child = path.posix.join(relative, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) filesUnder(child, into);
    } else if (entry.isFile() && TEXT_FILE.test(entry.name) && !SKIPPED_FILES.has(child)) {
      into.push(child);
    }
  }
}

function scannedFiles(): string[] {
  const files: string[] = [];
  for (const folder of FOLDERS) filesUnder(folder, files);
  for (const file of TOP_LEVEL_FILES) {
    if (statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.isFile()) files.push(file);
  }
  return files;
}

function offences(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (OUTSIDE_NOTE.test(line) || TICKET.test(line)) found.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('comments stand alone', () => {
  const files = scannedFiles();

  it('scans the source, tests, benchmarks, scripts, schema and docs', () => {
    expect(files).toEqual(expect.arrayContaining(['prisma/schema.prisma', 'docker-compose.yml']));
    expect(files.filter((file) => file.startsWith('src/')).length).toBeGreaterThan(100);
    expect(files.some((file) => file.startsWith('console/src/'))).toBe(true);
  });

  it('names no note outside the repository and no ticket', () => {
    const found = offences(files.filter((file) => !(file in ALLOWED)));
    expect(found).toEqual([]);
  });

  it('allows only files that exist and still need the exception', () => {
    const stale = Object.keys(ALLOWED).filter((file) => offences([file]).length === 0);
    expect(stale).toEqual([]);
  });

  it('finds what it looks for', () => {
    const samples = [
      `see ${'design'}.md, principle 2`,
      `the ${'vllm-contract'}.md table`,
      `/work/${'shared'}/notes`,
      `added for ${'issue'} 6`,
    ];
    for (const sample of samples) expect(OUTSIDE_NOTE.test(sample) || TICKET.test(sample)).toBe(true);
    expect(OUTSIDE_NOTE.test('docs/gpu-node-contract.md')).toBe(false);
  });
});
