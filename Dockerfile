# syntax=docker/dockerfile:1
# The API as one executable in a slim image:
#   docker build -t auterity-analytics .
#   docker run --rm -p 3000:3000 -e JWT_SECRET=… \
#     -v "$PWD/users.json:/etc/auterity-analytics/users.json:ro" auterity-analytics

# --- build: compile with the Bun version package.json pins
FROM oven/bun:1.4.4-debian AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts
COPY tsconfig.json bunfig.toml ./
COPY build ./build
COPY src ./src
# The build script of package.json, so the image and the tests compile the same entry points.
RUN OUTFILE=/out/auterity-analytics bun run build \
 && /out/auterity-analytics --version

# --- run: the same Debian release as the build stage, so the executable finds its libc
FROM debian:12.11-slim
# curl is here only for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin auterity \
 && mkdir -p /app /etc/auterity-analytics
COPY --from=build /out/auterity-analytics /usr/local/bin/auterity-analytics

WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=3000 \
    USERS_FILE=/etc/auterity-analytics/users.json
EXPOSE 3000
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health/live" >/dev/null || exit 1
# SIGTERM drains in-flight requests; give `docker stop -t` more than SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/auterity-analytics"]
CMD ["serve"]
