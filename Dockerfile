# syntax=docker/dockerfile:1
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY app.yml ./
COPY bin ./bin
COPY src ./src
COPY examples ./examples
COPY schema ./schema
ENV NODE_ENV=production PORT=3000 WORK_DIR=/var/lib/gitops-canary/work
RUN mkdir -p /var/lib/gitops-canary && chown node:node /var/lib/gitops-canary
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
