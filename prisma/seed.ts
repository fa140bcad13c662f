import { hashPassword } from '../src/auth/password-hasher';
import type { PrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { Role } from '../src/generated/prisma/enums';
import type { Actor } from '../src/auth/permissions';
import type { Services } from '../src/composition/create-services';

/**
 * The demo tenant: an admin, a moderator and an auditor with known passwords, a template, a rule
 * ("a person enters the lawn") and a stream of real fixed-camera footage. Safe to run again: it
 * resets the demo passwords, points the stream at the footage given, and leaves everything else
 * as it finds it.
 */
export const DEMO_TENANT_SLUG = 'demo';

export const DEMO_USERS: { email: string; role: Role; password: string }[] = [
  { email: 'admin@demo.vigil', role: 'ADMIN', password: 'vigil-demo-admin' },
  { email: 'moderator@demo.vigil', role: 'MODERATOR', password: 'vigil-demo-moderator' },
  { email: 'auditor@demo.vigil', role: 'AUDITOR', password: 'vigil-demo-auditor' },
];

const OPERATOR = { kind: 'operator' as const, id: null };

export interface DemoSeed {
  tenantId: string;
  streamId: string;
  /** The admin, as an actor for the services. */
  actor: Actor;
}

/**
 * The source when the caller has no footage: a camera address that leads nowhere, so the stream
 * exists but samples nothing.
 */
const PLACEHOLDER_SOURCE = 'rtsp://camera.demo.vigil/walkway';

export async function seedDemo(
  prisma: PrismaClient,
  services: Services,
  options: { footageUrl?: string } = {},
): Promise<DemoSeed> {
  const [admin, ...others] = DEMO_USERS;
  let tenant = await prisma.tenant.findUnique({ where: { slug: DEMO_TENANT_SLUG } });
  if (!tenant) {
    const created = await services.tenants.create(OPERATOR, {
      slug: DEMO_TENANT_SLUG,
      name: 'Vigil demo',
      adminEmail: admin!.email,
      adminPassword: admin!.password,
    });
    tenant = created.tenant;
  }
  const db = tenantDb(prisma, tenant.id);
  const adminUser = await db.user.findUniqueOrThrow({
    where: { tenantId_email: { tenantId: tenant.id, email: admin!.email } },
  });
  const actor = {
    kind: 'user' as const,
    id: adminUser.id,
    tenantId: tenant.id,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  };

  for (const user of others) {
    const existing = await db.user.findUnique({
      where: { tenantId_email: { tenantId: tenant.id, email: user.email } },
    });
    if (!existing) await services.users.create(db, actor, user);
  }
  for (const user of DEMO_USERS) {
    await db.user.update({
      where: { tenantId_email: { tenantId: tenant.id, email: user.email } },
      data: { passwordHash: await hashPassword(user.password), disabledAt: null },
    });
  }

  let template = await db.promptTemplate.findFirst({ where: { name: 'Lawn watch' } });
  template ??= await services.templates.create(db, actor, {
    name: 'Lawn watch',
    description: 'Fixed camera over a lawn and a path: people, what they do, and why.',
    version: {
      systemText:
        'You are a video moderation analyst watching a fixed camera over a lawn and a footpath. ' +
        'Describe the objects you see, the actions that happen, anything anomalous, and what led to what. ' +
        'Answer only with JSON that matches the schema.',
      // Per-stream values only: the frames' capture times follow the images (the prefix cache).
      instructionText:
        'Stream: {{streamName}}. Report every person, what they do on the lawn or the path, and why. ' +
        'Tenant policy: {{policy}}',
      // With a GPU node, windows in which the local detector sees no person (and nothing NSFW)
      // are not sent to it.
      gateObjects: ['person'],
      gateNsfw: true,
    },
  });
  if (!(await db.rule.findFirst({ where: { name: 'A person enters the lawn' } }))) {
    await services.rules.create(db, actor, {
      name: 'A person enters the lawn',
      condition: { appears: { when: { object: { label: 'person', minConfidence: 0.5 } }, absentFor: 2 } },
      action: { type: 'review', queue: 'lawn', priority: 60 },
      cooldownSeconds: 30,
    });
  }
  // Busy moments on the walkway: fires on consecutive windows, which the rules engine stitches
  // into one incident (one review item) until 30 s pass without it.
  if (!(await db.rule.findFirst({ where: { name: 'A crowd on the walkway' } }))) {
    await services.rules.create(db, actor, {
      name: 'A crowd on the walkway',
      condition: { object: { label: 'person', minConfidence: 0.5, minCount: 4 } },
      action: { type: 'review', queue: 'walkway', priority: 40 },
      cooldownSeconds: 30,
    });
  }
  const sourceUrl = options.footageUrl ?? PLACEHOLDER_SOURCE;
  let stream = await db.stream.findFirst({ where: { name: 'Pedestrian walkway' } });
  if (!stream) {
    const created = await services.streams.create(db, actor, {
      name: 'Pedestrian walkway',
      sourceUrl,
      templateId: template.id,
      // One frame a second keeps the CPU detector (about half a second a frame) ahead of the stream.
      fps: 1,
    });
    stream = await db.stream.findUniqueOrThrow({ where: { id: created.id } });
  } else if (options.footageUrl && stream.sourceUrl !== options.footageUrl) {
    await services.streams.update(db, actor, stream.id, { sourceUrl: options.footageUrl });
  }
  return { tenantId: tenant.id, streamId: stream.id, actor };
}
