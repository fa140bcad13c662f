#!/usr/bin/env node
// Prints SQL for prisma/schema.prisma, offline:
//   node scripts/schema-sql.mjs                  the whole schema, from an empty database
//   node scripts/schema-sql.mjs --from-git HEAD  only the changes since that commit's schema:
//                                                the body of a new prisma/migrations/<ts>_<name>/migration.sql
// Prisma 7's migrate commands need a native engine that these machines cannot download; Prisma
// 6.19's JavaScript engine can diff offline. The migration drift test uses the first form.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stub = path.join(root, 'prisma', 'schema-engine.stub');

// Prisma 6 wants the datasource url in the schema; Prisma 7 forbids it there.
const forPrisma6 = (schema) =>
  schema.replace(/provider\s*=\s*"postgresql"/, 'provider = "postgresql"\n  url = env("DATABASE_URL")');

/** SQL from `fromSchema` (schema text, or null for an empty database) to the working schema.prisma. */
export function schemaSql(fromSchema = null) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-schema-sql-'));
  try {
    const toPath = path.join(dir, 'schema.prisma');
    writeFileSync(toPath, forPrisma6(readFileSync(path.join(root, 'prisma', 'schema.prisma'), 'utf8')));
    const from = ['--from-empty'];
    if (fromSchema !== null) {
      const fromPath = path.join(dir, 'from.prisma');
      writeFileSync(fromPath, forPrisma6(fromSchema));
      from.splice(0, 1, '--from-schema-datamodel', fromPath);
    }
    return execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'prisma6', 'build', 'index.js'),
        'migrate',
        'diff',
        ...from,
        '--to-schema-datamodel',
        toPath,
        '--script',
        '--config',
        path.join(root, 'scripts', 'prisma6-diff.config.mjs'),
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
          PRISMA_SCHEMA_ENGINE_BINARY: stub,
          PRISMA_QUERY_ENGINE_LIBRARY: stub,
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--from-git');
  const fromSchema =
    at === -1
      ? null
      : execFileSync('git', ['show', `${process.argv[at + 1] ?? 'HEAD'}:prisma/schema.prisma`], {
          cwd: root,
          encoding: 'utf8',
        });
  process.stdout.write(schemaSql(fromSchema));
}
