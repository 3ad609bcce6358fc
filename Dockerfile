# syntax=docker/dockerfile:1
# One image for every wattbus service and plugin; docker-compose.yml picks the command per container.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: install with native modules compiled from source, compile TypeScript ----
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/broker/package.json services/broker/
COPY services/sampler/package.json services/sampler/
COPY services/device-registry/package.json services/device-registry/
COPY services/plugin-runner/package.json services/plugin-runner/
COPY plugins/package.json plugins/
# The image's npm may predate package.json's allowScripts list, so scripts are skipped here and only the native
# modules that wattbus needs are built explicitly.
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3 spi-device classic-level @serialport/bindings-cpp
COPY . .
RUN npx tsc -b \
 && npm prune --omit=dev --ignore-scripts

# ---- runtime: compiled JavaScript and production dependencies only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# libgpiod's command-line tools: the character-device backend of plugins/gpio_controller_example_plugin.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gpiod \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json /app/config.example.toml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/shared/package.json ./shared/
COPY --from=build /app/shared/dist ./shared/dist
COPY --from=build /app/services ./services
COPY --from=build /app/plugins ./plugins
# Sources stay out of the runtime image; the plugin runner loads the compiled plugins/dist.
RUN find services plugins -name '*.ts' ! -name '*.d.ts' -delete \
 && find services plugins -name 'src' -type d -empty -delete \
 && mkdir -p data/broker data/sampler data/registry \
 && chown -R node:node data
USER node
CMD ["node", "services/broker/dist/main.js"]
