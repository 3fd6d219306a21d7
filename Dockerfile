# syntax=docker/dockerfile:1
# Switchyard's image: one image for `api` and `worker` (the command picks the role).
#   docker build -t switchyard .
#   docker run switchyard api | worker | config | reconcile ...
# scripts/image-build.ts runs these very stages without Docker (each RUN in a directory per stage, the runtime
# stage started with `node dist/src/cli.js`), and test/integration/image-build.test.ts runs that: a change here
# is tested there. Keep to the instructions it understands: FROM, WORKDIR, COPY (with --from), RUN, ENV, USER,
# EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD.

# The current Node LTS, pinned; the test suite's Node 24 (scripts/node24.sh) is the same release.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# 1. Compile TypeScript to dist/ and build the workflow bundle once, with every dependency (tsc, webpack).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh scripts/bundle-workflows.mjs ./scripts/
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build

# 2. Production dependencies only: no TypeScript, tsx, vitest or eslint in the image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. What runs: compiled code, the prebuilt workflow bundle, production node_modules; a non-root user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Containers are reached from outside themselves: the API and the worker's probe port bind every interface.
ENV API_HOST=0.0.0.0
ENV WORKER_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The base image's unprivileged user (uid 1000); nothing in /app is writable by it.
USER node
EXPOSE 9000 9001
# Readiness of whichever process the container runs: the API's port (9000) or the worker's probe port (9001).
HEALTHCHECK --interval=10s --timeout=5s --start-period=150s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js", "http://127.0.0.1:9000/readyz", "http://127.0.0.1:9001/readyz"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["api"]
