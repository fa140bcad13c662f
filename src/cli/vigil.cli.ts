import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/config';
import { createPrismaClient, PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { DomainError, notFound } from '../errors/domain-error';
import { Role } from '../generated/prisma/enums';
import { createRedis } from '../redis/redis-client';
import { createServices, Services } from '../composition/create-services';
import { BullJobQueue } from '../jobs/bullmq-job-queue';
import { migrateDatabase } from '../composition/migrate-database';

/**
 * The operator's command line: `npm run vigil -- <command>`. Secrets it creates are printed once,
 * to standard output, and never logged.
 */
const OPERATOR = { kind: 'operator' as const, id: null };

async function withServices<T>(work: (services: Services, prisma: PrismaClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const prisma = createPrismaClient(config.DATABASE_URL, { auditMacKeys: config.AUDIT_MAC_KEYS });
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-cli' });
  const jobs = new BullJobQueue(redis, config);
  try {
    return await work(createServices({ prisma, redis, config, jobs }), prisma);
  } finally {
    await jobs.close();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  }
}

/** Ends the command with an exit status after it has printed its result (a failed check). */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

function parseRole(value: string): Role {
  const role = value.toUpperCase();
  if (!(role in Role)) throw new InvalidArgumentError('must be ADMIN, MODERATOR or AUDITOR');
  return role as Role;
}

/** `exitOverride` makes errors throw instead of exiting (for tests); subcommands inherit it. */
export function buildCli(options: { exitOverride?: boolean } = {}): Command {
  const program = new Command('vigil').description('Operate a Vigil installation').showHelpAfterError();
  if (options.exitOverride) program.exitOverride().configureOutput({ writeErr: () => undefined });

  program
    .command('migrate')
    .description('apply the database migrations')
    .action(async () => {
      const report = await migrateDatabase(loadConfig());
      console.log(`applied ${report.applied.length}, already applied ${report.alreadyApplied.length}`);
      if (report.auditEventsChained) console.log(`chained ${report.auditEventsChained} earlier audit events`);
      if (report.auditEventsOutsideChain) {
        console.log(
          `left out ${report.auditEventsOutsideChain} audit events outside the chain written after it existed: ` +
            'inserted around the application, never chained (audit-verify names them)',
        );
      }
    });

  program
    .command('create-tenant')
    .description('create a tenant with its first admin; prints the admin password once')
    .requiredOption('--slug <slug>', 'short name used at login')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--admin-email <email>', "the first admin's e-mail")
    .option('--platform-admin', 'the admin may also manage tenants (for the operator’s own tenant)')
    .action(async (options: { slug: string; name: string; adminEmail: string; platformAdmin?: boolean }) => {
      await withServices(async (services, prisma) => {
        const created = await services.tenants.create(OPERATOR, {
          slug: options.slug,
          name: options.name,
          adminEmail: options.adminEmail,
        });
        if (options.platformAdmin) {
          await prisma.user.update({ where: { id: created.adminUserId }, data: { isPlatformAdmin: true } });
        }
        console.log(`tenant   ${created.tenant.slug} (${created.tenant.id})`);
        console.log(
          `admin    ${options.adminEmail.toLowerCase()}${options.platformAdmin ? ' (platform admin)' : ''}`,
        );
        console.log(`password ${created.initialPassword}   <- shown once`);
      });
    });

  program
    .command('list-tenants')
    .description('list tenants')
    .action(async () => {
      await withServices(async (services) => {
        let after: string | null = null;
        do {
          const page = await services.tenants.list({ first: 100, after });
          for (const { node } of page.edges) {
            console.log(
              `${node.slug}\t${node.name}\t${node.id}\tmax ${node.maxActiveStreams} streams @ ${node.maxFps} fps`,
            );
          }
          after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        } while (after);
      });
    });

  program
    .command('create-api-key')
    .description('create an API key in a tenant; prints the key once')
    .requiredOption('--tenant <slug>', 'the tenant')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--role <role>', 'ADMIN, MODERATOR or AUDITOR', parseRole, Role.ADMIN)
    .action(async (options: { tenant: string; name: string; role: Role }) => {
      await withServices(async (services, prisma) => {
        const tenant = await prisma.tenant.findUnique({ where: { slug: options.tenant.toLowerCase() } });
        if (!tenant) throw notFound(`Tenant ${options.tenant}`);
        const created = await services.apiKeys.create(
          tenantDb(prisma, tenant.id),
          { ...OPERATOR, tenantId: tenant.id },
          { name: options.name, role: options.role },
        );
        console.log(`api key  ${created.apiKey.name} (${created.apiKey.role}, id ${created.apiKey.id})`);
        console.log(`secret   ${created.secret}   <- shown once`);
      });
    });

  program
    .command('audit-verify')
    .description("check a tenant's audit chain; exits with 1 when it is broken")
    .requiredOption('--tenant <slug>', 'the tenant')
    .action(async (options: { tenant: string }) => {
      await withServices(async (services, prisma) => {
        const tenant = await prisma.tenant.findUnique({ where: { slug: options.tenant.toLowerCase() } });
        if (!tenant) throw notFound(`Tenant ${options.tenant}`);
        const result = await services.auditChain.verify(tenantDb(prisma, tenant.id));
        console.log(`tenant    ${tenant.slug} (${tenant.id})`);
        console.log(`checked   ${result.eventsChecked} events at ${result.verifiedAt.toISOString()}`);
        console.log(`head      ${result.headHash ?? '(empty log)'}`);
        console.log(
          result.keyed
            ? `keyed     yes: HMAC-SHA256 with keys outside the database (${result.unkeyedEvents} older events plain sha256)`
            : 'keyed     NO: plain sha256, which anyone able to write to the database can recompute (set AUDIT_MAC_KEYS)',
        );
        console.log(`anchors   ${result.anchorsChecked} signed anchors checked`);
        if (result.ok) {
          console.log('result    ok: every event is in the chain, linked and unchanged');
          return;
        }
        console.log(`result    BROKEN: ${result.reason}`);
        console.log(
          `at        event ${result.firstBrokenEventId}` +
            (result.firstBrokenChainIndex === null ? '' : `, chain index ${result.firstBrokenChainIndex}`),
        );
        throw new CliExit(1);
      });
    });

  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      if (error instanceof CliExit) process.exit(error.exitCode);
      console.error(error instanceof DomainError ? `error: ${error.message}` : error);
      process.exit(1);
    });
}
