# One image for every role: `node server/dist/main.js` runs all of them, `--api` or `--worker` one.
# tests/dockerfile.int.test.ts replays these steps (COPY and RUN, stage by stage) and starts the
# result, so the image cannot break unnoticed.

# Build: every dependency, then the web UI (client/dist) and the server (server/dist/main.js).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w client && npm run build:server

# Run: the server's production dependencies, the two builds and the migrations; no sources, no tsx.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
COPY packages/client/package.json packages/client/
RUN npm ci --omit=dev --workspace server --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/client/dist client/dist
COPY drizzle/migrations drizzle/migrations
RUN mkdir -p data/images && chown -R node:node data
USER node
EXPOSE 3000
CMD ["node", "server/dist/main.js"]
