# syntax=docker/dockerfile:1
#
# gitops-canary: the bot (CMD) and the CLI (`gitops-canary` on PATH) in one image.
#
#   docker build -t gitops-canary .
#   docker run --rm -p 3000:3000 -v gitops-canary:/data gitops-canary          # local mode
#   docker run --rm gitops-canary gitops-canary --version
#
# Base: Node.js 26, the Active LTS line since 2026-10-28 (24 is in maintenance), on Debian
# 13 (trixie), the base the Node.js images use by default from 26 on. Pinned by the digest
# of the multi-arch image index, so a rebuild gets the same bytes until the pin moves. This
# digest is the one node:26-trixie-slim had when three unrelated public projects pinned it
# in 2026 (it could not be pulled from here). Refresh tag and digest together:
#   docker buildx imagetools inspect node:26-trixie-slim --format '{{.Manifest.Digest}}'
# (or `crane digest node:26-trixie-slim`), and write it in both FROM lines; Renovate's and
# Dependabot's docker managers update a digest written in FROM.

# ---- build: compile TypeScript, then keep production dependencies only ----
FROM node:26-trixie-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1 AS build
# git: the build runs the CLI's bundle once on a scratch checkout to write its code cache
# (scripts/bundle-cli.mjs); without it the cache holds the bundle's top level alone
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not here yet (this layer is
# reused while only src/ changes). The cache mount keeps npm's cache out of every layer.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
# bin/bundle.mjs compiles the bundle for that run, as it does for the CLI
COPY bin ./bin
COPY src ./src
RUN npm run build
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:26-trixie-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1
# git: the bot clones, commits and pushes with it. tini: PID 1, which reaps git's child
# processes and passes SIGTERM on, so a stop drains changes in flight. npm, npx, corepack
# and yarn go: nothing here runs them, and they are most of what scanners flag in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-v* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
# Owned by root and not writable by the user the bot runs as: the application directory
# is read-only to it, as it is under readOnlyRootFilesystem in deploy/.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY bin ./bin
COPY examples ./examples
COPY schema ./schema
RUN chmod 0755 bin/gitops-canary.mjs \
 && ln -s /app/bin/gitops-canary.mjs /usr/local/bin/gitops-canary \
 && mkdir -p /data \
 && chown 1000:1000 /data
# Everything the bot writes lives under /data: work clones (WORK_DIR) and, in local mode,
# the config repo, the app source stand-ins beside it and the generated webhook secret
# under .gitops-canary/ in the working directory, which is /data too.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    WORK_DIR=/data/work \
    LOCAL_CONFIG_REPO=/data/config-repo
VOLUME ["/data"]
WORKDIR /data
# the image's `node` user, by number: Kubernetes can check runAsNonRoot only against a uid
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/app/dist/main.js"]
