import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API in production (from dist/console, see src/api/console-static.ts).
// In development Vite serves it and forwards API paths, WebSocket included, to a running API.
const here = path.dirname(fileURLToPath(import.meta.url));
const api = process.env.VIGIL_API_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: here,
  base: '/',
  // Vite's own transform (oxc) compiles TSX with React's automatic runtime; no React plugin is
  // needed for a production build (the dev server then reloads the page instead of hot-swapping).
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.resolve(here, '../dist/console'),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      // React Router marks its modules "use client" for server components; meaningless in a SPA.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: true },
      '/frames': { target: api, changeOrigin: true },
      '/reports': { target: api, changeOrigin: true },
      // Only the evidence files: /incidents itself is a console page.
      '^/incidents/[^/]+/(clip\\.mp4|evidence\\.zip)$': { target: api, changeOrigin: true },
    },
  },
});
