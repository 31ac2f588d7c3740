# The grab CLI as an image: `docker run IMAGE work ...`, `docker run IMAGE produce ...`.

# Build: compile the TypeScript with the dev dependencies; the tests stay out of the image.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/copy-assets.mjs scripts/
COPY cli cli
COPY bench bench
COPY api api
COPY producer producer
COPY worker worker
COPY shared shared
RUN npm run build

# Runtime: the compiled CLI and the production dependencies only, run by the unprivileged node user.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/cli dist/cli
COPY --from=build /app/dist/bench dist/bench
COPY --from=build /app/dist/api dist/api
COPY --from=build /app/dist/producer dist/producer
COPY --from=build /app/dist/worker dist/worker
COPY --from=build /app/dist/shared dist/shared
USER node
# /metrics, /healthz and /readyz when METRICS_PORT=9400 (docker-compose.yml sets it).
EXPOSE 9400
ENTRYPOINT ["node", "dist/cli/grab.js"]
CMD ["work"]
