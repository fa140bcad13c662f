import { buildCli } from '../src/cli/vigil.cli';
import { verifyPassword } from '../src/auth/password-hasher';
import { parseApiKey, sha256Hex } from '../src/auth/secret-token';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { uniqueSlug } from './support/tenant-fixture';

/** The operator CLI against the real database: what it prints once is what is stored (hashed). */
async function run(...args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    lines.push(parts.join(' '));
  });
  try {
    await buildCli({ exitOverride: true }).parseAsync(['node', 'vigil', ...args]);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

describe('vigil CLI', () => {
  const prisma = createPrismaClient(loadConfig().DATABASE_URL);
  afterAll(() => prisma.$disconnect());

  it('creates a tenant with its first admin, printing a password that works and is stored hashed', async () => {
    const slug = uniqueSlug('cli');
    const output = await run(
      'create-tenant',
      '--slug',
      slug,
      '--name',
      'CLI Co',
      '--admin-email',
      `Ops@${slug}.test`,
    );
    const password = /password (\S+)/.exec(output)![1]!;
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });
    const admin = await prisma.user.findUniqueOrThrow({
      where: { tenantId_email: { tenantId: tenant.id, email: `ops@${slug}.test` } },
    });
    expect(admin.role).toBe('ADMIN');
    expect(admin.isPlatformAdmin).toBe(false);
    expect(admin.passwordHash).not.toContain(password);
    expect(await verifyPassword(admin.passwordHash, password)).toBe(true);
    const audit = await prisma.auditEvent.findMany({
      where: { tenantId: tenant.id },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((event) => [event.actorType, event.action])).toEqual([
      ['operator', 'tenant.create'],
      ['operator', 'user.create'],
    ]);

    expect(await run('list-tenants')).toContain(`${slug}\tCLI Co\t${tenant.id}`);
  });

  it('creates a platform admin when asked', async () => {
    const slug = uniqueSlug('cli-platform');
    await run(
      'create-tenant',
      '--slug',
      slug,
      '--name',
      'Ops',
      '--admin-email',
      `root@${slug}.test`,
      '--platform-admin',
    );
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug }, include: { users: true } });
    expect(tenant.users.map((user) => user.isPlatformAdmin)).toEqual([true]);
  });

  it('creates an API key, printing the secret once and storing only its digest', async () => {
    const slug = uniqueSlug('cli-key');
    await run('create-tenant', '--slug', slug, '--name', 'Keys', '--admin-email', `a@${slug}.test`);
    const output = await run('create-api-key', '--tenant', slug, '--name', 'feed', '--role', 'auditor');
    const secret = /secret\s+(vgk_\S+)/.exec(output)![1]!;
    const parsed = parseApiKey(secret)!;
    const key = await prisma.apiKey.findUniqueOrThrow({ where: { prefix: parsed.prefix } });
    expect(key.role).toBe('AUDITOR');
    expect(key.secretHash).toBe(sha256Hex(parsed.secret));
    expect(JSON.stringify(key)).not.toContain(parsed.secret);
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    await expect(run('create-api-key', '--tenant', 'no-such-tenant', '--name', 'x')).rejects.toThrow(
      'Tenant no-such-tenant not found',
    );
    await expect(run('create-api-key', '--tenant', 'x', '--name', 'x', '--role', 'owner')).rejects.toThrow(
      /ADMIN, MODERATOR or AUDITOR/,
    );
    const count = await prisma.tenant.count();
    await expect(
      run('create-tenant', '--slug', 'Bad Slug!', '--name', 'x', '--admin-email', 'not-an-email'),
    ).rejects.toThrow(/input\.slug: .*input\.adminEmail: must be an e-mail address/);
    expect(await prisma.tenant.count()).toBe(count);
  });
});
