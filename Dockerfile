# syntax=docker/dockerfile:1
# Build: the whole workspace in release mode, dependencies cached in their own layer.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin neurocards \
    && cp target/release/neurocards /neurocards

# Run: one binary on a slim base, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app neurocards \
    && mkdir -p /app/data && chown neurocards /app/data
COPY --from=build /neurocards /usr/local/bin/neurocards
WORKDIR /app
USER neurocards
ENV HTTP_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///app/data/neurocards.db \
    STORAGE_BASE_PATH=/app/data/files
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["neurocards"]
CMD ["run"]
