import DataLoader from 'dataloader';
import type { Actor } from '../auth/permissions';
import type { PrismaClient } from '../db/prisma-client';
import { TenantDb, tenantDb } from '../db/tenant-scoped-db';
import { unauthenticated } from '../errors/domain-error';
import type {
  Analysis,
  Frame,
  Incident,
  PromptTemplate,
  PromptTemplateVersion,
  Stream,
  Tenant,
} from '../generated/prisma/client';
import type { Services } from '../services/service-set';
import { RecentMap } from '../util/recent-map';

/** Per-request batching of the look-ups that list fields would otherwise repeat (N+1). */
export interface Loaders {
  template: DataLoader<string, PromptTemplate | null>;
  templateVersion: DataLoader<string, PromptTemplateVersion | null>;
  /** Analyses by window id, newest first. */
  analysesByWindow: DataLoader<string, Analysis[]>;
  /** Incidents and streams by id (e.g. a page of review items shows each one's incident and stream). */
  incident: DataLoader<string, Incident | null>;
  stream: DataLoader<string, Stream | null>;
  /** Frames by id, without their URLs (a queue row's thumbnail). */
  frame: DataLoader<string, Frame | null>;
  /** Who holds or wrote something, by "user:<id>" or "apiKey:<id>": an e-mail or a key's name. */
  reviewerName: DataLoader<string, string | null>;
  /** The caller's own tenant, read once per request (e.g. for every stream's analysisNotice). */
  ownTenant: () => Promise<Tenant>;
}

export interface GraphQLContext {
  requestId: string;
  clientAddress: string;
  services: Services;
  /** Absent for anonymous requests (login). */
  actor?: Actor;
  /** The tenant-scoped database of the authenticated caller. */
  db?: TenantDb;
  loaders?: Loaders;
}

/** The context of an operation that passed `@Authorized`. */
export type AuthedContext = Required<GraphQLContext>;

export function authedContext(context: GraphQLContext): AuthedContext {
  if (!context.actor || !context.db || !context.loaders) throw unauthenticated();
  return context as AuthedContext;
}

/** What an authenticated request knows: who, and the data access and loaders of their tenant only. */
export type TenantContext = Required<Pick<GraphQLContext, 'actor' | 'db' | 'loaders'>>;

export function createTenantContext(prisma: PrismaClient, actor: Actor): TenantContext {
  const db = tenantDb(prisma, actor.tenantId);
  return { actor, db, loaders: createLoaders(db, prisma, actor.tenantId) };
}

function byId<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

/**
 * Template versions never change once written (a change is a new version) and are never deleted
 * apart from their tenant: this process keeps recent ones, by tenant and id, so a page of streams
 * with their templates' active versions costs no version query once they are known. Bounded in
 * entries; a version's texts and result schema are at most tens of KB.
 */
const knownVersions = new RecentMap<PromptTemplateVersion>(500);

function createLoaders(db: TenantDb, prisma: PrismaClient, tenantId: string): Loaders {
  const templateVersion = new DataLoader(async (ids: readonly string[]) => {
    const key = (id: string) => `${tenantId}/${id}`;
    const missing = ids.filter((id) => !knownVersions.get(key(id)));
    if (missing.length > 0) {
      for (const row of await db.promptTemplateVersion.findMany({ where: { id: { in: missing } } }))
        knownVersions.set(key(row.id), row);
    }
    return ids.map((id) => knownVersions.get(key(id)) ?? null);
  });
  const template = new DataLoader(async (ids: readonly string[]) =>
    byId(ids, await db.promptTemplate.findMany({ where: { id: { in: [...ids] } } })),
  );
  const analysesByWindow = new DataLoader(async (windowIds: readonly string[]) => {
    const rows = await db.analysis.findMany({
      where: { windowId: { in: [...windowIds] } },
      orderBy: { id: 'desc' },
    });
    const byWindow = new Map<string, Analysis[]>(windowIds.map((id) => [id, []]));
    for (const row of rows) byWindow.get(row.windowId)?.push(row);
    return windowIds.map((id) => byWindow.get(id) ?? []);
  });
  const incident = new DataLoader(async (ids: readonly string[]) =>
    byId(ids, await db.incident.findMany({ where: { id: { in: [...ids] } } })),
  );
  const stream = new DataLoader(async (ids: readonly string[]) =>
    byId(ids, await db.stream.findMany({ where: { id: { in: [...ids] } } })),
  );
  const frame = new DataLoader(async (ids: readonly string[]) =>
    byId(ids, await db.frame.findMany({ where: { id: { in: [...ids] } } })),
  );
  const reviewerName = new DataLoader(async (keys: readonly string[]) => {
    const idsOf = (kind: string) =>
      keys.filter((key) => key.startsWith(`${kind}:`)).map((key) => key.slice(kind.length + 1));
    const [users, apiKeys] = await Promise.all([
      db.user.findMany({ where: { id: { in: idsOf('user') } }, select: { id: true, email: true } }),
      db.apiKey.findMany({ where: { id: { in: idsOf('apiKey') } }, select: { id: true, name: true } }),
    ]);
    const names = new Map<string, string>([
      ...users.map((user) => [`user:${user.id}`, user.email] as [string, string]),
      ...apiKeys.map((key) => [`apiKey:${key.id}`, `API key “${key.name}”`] as [string, string]),
    ]);
    return keys.map((key) => names.get(key) ?? null);
  });
  // Tenant rows are platform-level (not on the tenant-scoped client); only the caller's own is read.
  let tenant: Promise<Tenant> | null = null;
  const ownTenant = (): Promise<Tenant> => {
    tenant ??= prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    return tenant;
  };
  return { template, templateVersion, analysesByWindow, incident, stream, frame, reviewerName, ownTenant };
}
