# Clickeen server image: build the embed and the release binary, ship them on a slim, non-root base.
# UNTRIED: written on a machine without a container engine or registry access; build and smoke-test
# it before use (docs/deploy.md → Container image):
#   docker build -t clickeen . && docker run --rm -p 8080:8080 clickeen
#   curl -fsS http://127.0.0.1:8080/api/healthz

# --- build: the embed (`cargo xtask dist`, wasm) and `ck-server` (release) ---------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
# `cargo xtask setup` installs what the embed build needs (wasm32 target, rust-src, wasm-bindgen,
# wasm-opt) only when missing.
RUN rustup target add wasm32-unknown-unknown && rustup component add rust-src
COPY . .
RUN cargo xtask setup \
 && cargo xtask dist \
 && cargo build --release --locked -p ck-server \
 && strip target/release/ck-server

# --- run: the binary, dist/ and CA roots only; an unprivileged user -----------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /srv/clickeen --create-home clickeen
WORKDIR /srv/clickeen
COPY --from=build /src/target/release/ck-server /usr/local/bin/ck-server
COPY --from=build --chown=root:root /src/dist/embed ./dist/embed
# The public builder's config check (ck-form-check, served at /assets/builder/).
COPY --from=build --chown=root:root /src/dist/builder ./dist/builder
# SQLite (single node only) writes here; Postgres deployments need no volume.
RUN mkdir -p data && chown clickeen:clickeen data
USER clickeen
ENV CK_HOST=0.0.0.0 \
    PORT=8080 \
    CK_DIST_DIR=/srv/clickeen/dist \
    CK_LOG_JSON=1
EXPOSE 8080
# SIGTERM is the graceful shutdown (finish requests, flush usage); give it CK_SHUTDOWN_GRACE_SECS + margin.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ck-server"]
