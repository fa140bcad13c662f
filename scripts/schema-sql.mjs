#!/usr/bin/env node
// Prints the SQL that creates, from an empty database, the schema described by prisma/schema.prisma.
// Prisma 7's migrate commands need a native engine that these machines cannot download; Prisma 6.19's
// JavaScript engine can diff offline. Used by the migration drift test and when writing a new migration
// (compare its output with the database that `npm run db:migrate` builds).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stub = path.join(root, 'prisma', 'schema-engine.stub');

export function schemaSql() {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-schema-sql-'));
  try {
    // Prisma 6 wants the datasource url in the schema; Prisma 7 forbids it there.
    const schema = readFileSync(path.join(root, 'prisma', 'schema.prisma'), 'utf8').replace(
      /provider\s*=\s*"postgresql"/,
      'provider = "postgresql"\n  url = env("DATABASE_URL")',
    );
    const schemaPath = path.join(dir, 'schema.prisma');
    writeFileSync(schemaPath, schema);
    return execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'prisma6', 'build', 'index.js'),
        'migrate',
        'diff',
        '--from-empty',
        '--to-schema-datamodel',
        schemaPath,
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

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(schemaSql());
