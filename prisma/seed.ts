import { isDeepStrictEqual } from 'node:util';
import { hashPassword } from '../src/auth/password-hasher';
import type { PrismaClient } from '../src/db/prisma-client';
import { type TenantDb, tenantDb } from '../src/db/tenant-scoped-db';
import { DEMO_SCENE } from '../src/demo/demo-scene';
import type { Condition } from '../src/rules/rule-definition';
import type { Role } from '../src/generated/prisma/enums';
import type { Actor } from '../src/auth/permissions';
import type { Services } from '../src/composition/create-services';

/**
 * The demo tenant: an admin, a moderator and an auditor with known passwords, a template, a stream
 * of real fixed-camera footage (vtest.avi) with its zones and line drawn (src/demo/demo-scene.ts),
 * and rules on the scene's events (DEMO_RULES). Safe to run again: it resets the demo passwords,
 * points the stream at the footage given, brings its fps, scene and the demo's rules to what is
 * written here (a new scene version only when they differ), and leaves everything else as it
 * finds it.
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
  await seedRules(db, actor, services);
  await seedPolicyReasons(db, actor, services);
  const sourceUrl = options.footageUrl ?? PLACEHOLDER_SOURCE;
  // The demo's stream is the one of that name not archived (an archived one keeps its evidence).
  let stream = await db.stream.findFirst({ where: { nameInUse: 'Pedestrian walkway' } });
  if (!stream) {
    const created = await services.streams.create(db, actor, {
      name: 'Pedestrian walkway',
      sourceUrl,
      templateId: template.id,
      fps: DEMO_FPS,
      // Started by whoever runs the footage (the demo); a seed without footage has a placeholder source.
      start: false,
    });
    stream = await db.stream.findUniqueOrThrow({ where: { id: created.id } });
  } else {
    const changes = {
      ...(options.footageUrl && stream.sourceUrl !== options.footageUrl
        ? { sourceUrl: options.footageUrl }
        : {}),
      ...(stream.fps !== DEMO_FPS ? { fps: DEMO_FPS } : {}),
    };
    if (Object.keys(changes).length > 0) await services.streams.update(db, actor, stream.id, changes);
  }
  await seedScene(db, actor, services, stream);
  return { tenantId: tenant.id, streamId: stream.id, actor };
}

/**
 * Two frames a second: the tracker keeps a walker's id from one frame to the next at that rate, and
 * the detector (in its threads) looks only at frames where motion is not explained by the tracks.
 */
export const DEMO_FPS = 2;

/**
 * The demo's rules, by name: each fires on the scene's events against the stream's zones, once per
 * event, and a cooldown stitches what belongs together (two people stepping onto the lawn side by
 * side, a group loitering, a crowd that thins and forms again) into one incident.
 */
export const DEMO_RULES: readonly {
  name: string;
  condition: Condition;
  action: { type: 'review'; queue: string; priority: number };
  cooldownSeconds: number;
}[] = [
  {
    name: 'A person walks onto the lawn',
    condition: { event: { type: 'enter', zone: 'lawn', label: 'person' } },
    action: { type: 'review', queue: 'lawn', priority: 60 },
    cooldownSeconds: 30,
  },
  {
    name: 'Loitering on the walkway over 20 s',
    condition: { event: { type: 'dwell', zone: 'walkway', label: 'person', minSeconds: 20 } },
    action: { type: 'review', queue: 'walkway', priority: 50 },
    cooldownSeconds: 30,
  },
  {
    name: 'A crowd of 4 or more on the walkway',
    condition: { event: { type: 'crowd', zone: 'walkway', minCount: 4 } },
    action: { type: 'review', queue: 'walkway', priority: 40 },
    cooldownSeconds: 30,
  },
];

/** Rules earlier versions of the demo seeded, which the rules above replace. */
const RETIRED_RULES = ['A person enters the lawn', 'A crowd on the walkway'];

/**
 * Brings the demo tenant's rules to DEMO_RULES: each is created, or changed where it differs; a
 * retired rule is deleted, or disabled when it has incidents (their evidence stays auditable).
 */
async function seedRules(db: TenantDb, actor: Actor, services: Services): Promise<void> {
  for (const name of RETIRED_RULES) {
    const retired = await db.rule.findFirst({ where: { name } });
    if (!retired) continue;
    if ((await db.incident.count({ where: { ruleId: retired.id } })) === 0) {
      await services.rules.delete(db, actor, retired.id);
    } else if (retired.enabled) {
      await services.rules.setEnabled(db, actor, retired.id, false);
    }
  }
  for (const wanted of DEMO_RULES) {
    const existing = await db.rule.findFirst({ where: { name: wanted.name } });
    if (!existing) {
      await services.rules.create(db, actor, { ...wanted });
      continue;
    }
    const changed =
      !isDeepStrictEqual(existing.condition, wanted.condition) ||
      !isDeepStrictEqual(existing.action, wanted.action) ||
      existing.cooldownSeconds !== wanted.cooldownSeconds;
    if (changed) {
      const { condition, action, cooldownSeconds } = wanted;
      await services.rules.update(db, actor, existing.id, { condition, action, cooldownSeconds });
    }
  }
}

/**
 * The demo tenant's policy reasons: what a moderator chooses from when deciding (none is chosen for
 * them). Each names the decisions it may justify.
 */
export const DEMO_POLICY_REASONS: readonly { label: string; policy: string; decisions: string[] }[] = [
  {
    label: 'Nothing against the site rules',
    policy: 'Site rules §1: walking and standing on the walkway are allowed',
    decisions: ['DISMISS'],
  },
  {
    label: 'Detector mistake',
    policy: 'Review guide §2: a false detection (shadow, reflection, not a person) is dismissed',
    decisions: ['DISMISS'],
  },
  {
    label: 'Walking on the lawn',
    policy: 'Site rules §3: the lawn is closed to the public',
    decisions: ['CONFIRM_VIOLATION', 'STOP_STREAM'],
  },
  {
    label: 'Blocking the walkway',
    policy: 'Site rules §4: groups may not block the walkway',
    decisions: ['CONFIRM_VIOLATION', 'ESCALATE'],
  },
  {
    label: 'Unclear: a senior moderator should look',
    policy: 'Review guide §5: escalate when the frames do not settle it',
    decisions: ['ESCALATE'],
  },
];

/** Creates the demo's policy reasons that the tenant does not have yet (an admin's edits stay). */
async function seedPolicyReasons(db: TenantDb, actor: Actor, services: Services): Promise<void> {
  const existing = await services.policyReasons.list(db, true);
  for (const reason of DEMO_POLICY_REASONS) {
    if (existing.some((row) => row.label === reason.label)) continue;
    await services.policyReasons.create(db, actor, reason);
  }
}

/** Saves the demo scene as the stream's next version, unless its current scene is already that. */
async function seedScene(
  db: TenantDb,
  actor: Actor,
  services: Services,
  stream: { id: string; sceneVersion: number },
): Promise<void> {
  const current = await services.streams.scene(db, stream);
  const zones = DEMO_SCENE.filter((region) => region.kind === 'zone');
  const lines = DEMO_SCENE.filter((region) => region.kind === 'line');
  if (isDeepStrictEqual(current.zones, zones) && isDeepStrictEqual(current.lines, lines)) return;
  await services.streams.saveScene(db, actor, {
    streamId: stream.id,
    expectedVersion: stream.sceneVersion,
    zones,
    lines,
  });
}
