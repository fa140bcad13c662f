// Config for Prisma 6.19's JavaScript engine, used only to turn prisma/schema.prisma into SQL
// without the native engine (see scripts/schema-sql.mjs). The JS engine opens a connection to
// DATABASE_URL but `migrate diff --from-empty` reads and writes nothing there.
import { defineConfig } from 'prisma6/config';

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => {
    const { PrismaPg } = await import('@prisma/adapter-pg');
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
});
