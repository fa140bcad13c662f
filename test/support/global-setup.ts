import Redis from 'ioredis';
import { Client } from 'pg';
import { migrate } from '../../src/db/migration-runner';
import './test-env';

/** A fresh test database, built by the project's own migration runner, and an empty Redis db. */
export default async function globalSetup(): Promise<void> {
  const url = new URL(process.env.DATABASE_URL!);
  const database = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
  await migrate(process.env.DATABASE_URL!);
  const redis = new Redis(process.env.REDIS_URL!);
  await redis.flushdb();
  await redis.quit();
}
