# Milagro Server node image.
#   docker build -t milagro-server .
#   docker run -v milagro:/var/lib/milagro -p 4101:4101 -p 127.0.0.1:4100:4100 milagro-server
# The node home is created on the volume at first start (never at build time: every container
# gets its own identity). Configure with MILAGRO_* environment variables (see README).

FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY crypto ./crypto
COPY protocol ./protocol
COPY storage ./storage
COPY node ./node
COPY docker/entrypoint.sh ./docker/entrypoint.sh
COPY LICENSE NOTICE README.md CHANGELOG.md ./

FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends softhsm2 tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/milagro --shell /usr/sbin/nologin milagro \
 && mkdir -p /var/lib/milagro \
 && chown milagro:milagro /var/lib/milagro \
 && chmod 700 /var/lib/milagro
COPY --from=build /app /app
ENV NODE_ENV=production \
    MILAGRO_HOME=/var/lib/milagro/home \
    MILAGRO_LISTEN=/ip4/0.0.0.0/tcp/4101 \
    MILAGRO_API_HOST=0.0.0.0 \
    MILAGRO_API_PORT=4100
USER milagro
VOLUME /var/lib/milagro
EXPOSE 4101 4100
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.MILAGRO_API_PORT || 4100) + '/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["start"]
