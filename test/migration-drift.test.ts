import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../src/config/project-root';
import { migrate } from '../src/db/migration-runner';

/** The SQL Prisma derives from schema.prisma, as `npm run db:schema-sql` prints it. */
const schemaSql = (): string =>
  execFileSync(process.execPath, [path.join(projectRoot(), 'scripts', 'schema-sql.mjs')], {
    encoding: 'utf8',
  });

/**
 * prisma/schema.prisma and prisma/migrations must describe the same database. Two scratch databases
 * are built, one by the migrations (through the project's runner) and one from the SQL Prisma derives
 * from schema.prisma, and their catalogs (tables, columns, types, defaults, indexes, constraints,
 * enums) are compared.
 */
const adminUrl = (): string => {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = '/postgres';
  return url.toString();
};
const urlFor = (database: string): string => {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${database}`;
  return url.toString();
};

async function recreate(database: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
}

async function catalog(
  database: string,
): Promise<{ columns: unknown[]; indexes: unknown[]; constraints: unknown[]; enums: unknown[] }> {
  const client = new Client({ connectionString: urlFor(database) });
  await client.connect();
  try {
    const query = async (sql: string) => (await client.query(sql)).rows;
    return {
      columns: await query(`
        SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
        ORDER BY table_name, column_name`),
      indexes: await query(`
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
        ORDER BY tablename, indexname`),
      constraints: await query(`
        SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
        FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
        ORDER BY 1, 2`),
      enums: await query(`
        SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`),
    };
  } finally {
    await client.end();
  }
}

describe('prisma/schema.prisma and prisma/migrations', () => {
  const fromMigrations = 'vigil_drift_migrations';
  const fromSchema = 'vigil_drift_schema';

  it('describe the same database', async () => {
    await recreate(fromMigrations);
    await recreate(fromSchema);
    await migrate(urlFor(fromMigrations));
    const client = new Client({ connectionString: urlFor(fromSchema) });
    await client.connect();
    await client.query(schemaSql());
    await client.end();
    const [migrated, declared] = await Promise.all([catalog(fromMigrations), catalog(fromSchema)]);
    expect(migrated.columns.length).toBeGreaterThan(50);
    expect(migrated).toEqual(declared);
  }, 60_000);

  it('are recorded as Prisma records them, and a second run applies nothing', async () => {
    const report = await migrate(urlFor(fromMigrations));
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied.length).toBeGreaterThan(0);
    const client = new Client({ connectionString: urlFor(fromMigrations) });
    await client.connect();
    const rows = (
      await client.query('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY 1')
    ).rows;
    await client.end();
    expect(rows.map((row) => row.migration_name)).toEqual(report.alreadyApplied);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
    }
  });
});
