# One image for every service of the stack; the command picks the service, e.g.
#   docker run IMAGE node --import tsx backends/erp/main.ts
# docker-compose.yml and deploy/ run it that way. Health checks live there, not here.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/app/.data

# Dependencies first, so a code change does not reinstall them. tsx runs the TypeScript at
# start-up, so only production dependencies are needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# The only place a service writes besides /tmp (PGlite and local secrets when no DATABASE_URL).
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 4000 4001 4002 4003 4101 4102
# Run node directly (not npm/npx) so SIGTERM reaches the service and it stops cleanly.
CMD ["node", "--import", "tsx", "gateway/main.ts"]
