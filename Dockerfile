# Vigil: one image for the api, the workers and the migration runner (they differ by command).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: the full dependency tree, dev tools included (tsc and the Prisma CLI build the app)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# @prisma/engines' postinstall would otherwise fetch the native schema engine, which neither
# `prisma generate` nor the app ever runs (migrations are applied by our own runner); the stub
# must exist before `npm ci`, so it is copied ahead of the rest of the sources.
ENV PRISMA_SCHEMA_ENGINE_BINARY=/app/prisma/schema-engine.stub
COPY package.json package-lock.json .npmrc ./
COPY prisma/schema-engine.stub prisma/schema-engine.stub
RUN npm ci --no-audit --no-fund && npm cache clean --force

# ---- build: compile, then drop the dev dependencies so the runtime copies only what it runs
FROM deps AS build
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
# ffmpeg: the stream sampler is an ffmpeg child process (the npm builds are missing or slow).
# tini: PID 1 that forwards SIGTERM (graceful BullMQ shutdown) and reaps exited ffmpeg children.
# ca-certificates: ffmpeg reads HTTPS/HLS sources with the system trust store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates util-linux \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    LOG_LEVEL=info \
    FRAME_STORE_DIR=/data/frames

# Created here and owned by `node` so that a fresh named volume mounted on it inherits the
# ownership and the non-root process can write frames.
RUN mkdir -p /data/frames && chown node:node /data/frames

WORKDIR /app
# Owned by root and read-only to the app user: a compromised process cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# prisma/migrations is read at run time by the migration runner.
COPY --from=build /app/prisma ./prisma

USER node
# A larger young generation: a request's garbage dies young instead of being promoted and marked
# again; `npm run bench` measured 20-30% less CPU per GraphQL request with it (at most about
# 200 MB more memory per process under load).
ENV NODE_OPTIONS=--max-semi-space-size=64
EXPOSE 4000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/api/api.main.js"]
