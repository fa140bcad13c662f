import { PrismaPg } from '@prisma/adapter-pg';
import type { AuditMacKey } from '../config/config';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

const AUDIT_MAC_KEYS = Symbol('vigil.auditMacKeys');

export interface PrismaClientOptions {
  /**
   * The keys that MAC audit events (AUDIT_MAC_KEYS). The client carries them, and so does every
   * client derived from it (tenant-scoped clients, interactive transactions), so each audit append
   * is keyed by the process that built the client, whichever owner writes it.
   */
  auditMacKeys?: readonly AuditMacKey[];
}

/** The platform-wide client. Only platform code (auth look-ups, tenants, migrations) uses it directly. */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
  Object.defineProperty(client, AUDIT_MAC_KEYS, { value: Object.freeze([...(options.auditMacKeys ?? [])]) });
  return client;
}

/** The audit MAC keys of the client `db` was derived from (none for a client built without them). */
export function auditMacKeysOf(db: object): readonly AuditMacKey[] {
  return (db as { [AUDIT_MAC_KEYS]?: readonly AuditMacKey[] })[AUDIT_MAC_KEYS] ?? [];
}
