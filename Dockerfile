# Sluice in a container: a Swift build stage and a slim Debian runtime.
#
#   docker build -t sluice .
#   docker run -p 8080:8080 -v "$PWD/routes:/srv/sluice/routes:ro" sluice
#
# The runtime image holds the binary (Swift runtime linked in statically), libssl3 and
# ca-certificates, and runs as the unprivileged user `sluice` (uid 10001). Sluice is PID 1
# (exec-form ENTRYPOINT): it waits for SIGTERM/SIGINT/SIGHUP itself and starts no child
# processes, so it needs no init. Configuration comes from SLUICE_* variables; see
# docs/operators.md and examples/compose/.

ARG SWIFT_VERSION=6.3

# ---------------------------------------------------------------- build
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifest first, so that the dependency-free resolve is cached apart from the sources.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY bench/judge ./bench/judge
COPY bench/store ./bench/store
COPY bench/http2 ./bench/http2
RUN swift build -c release --product sluice --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --product sluice --static-swift-stdlib --show-bin-path)/sluice" /out/sluice \
    && /out/sluice --version

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /srv/sluice --shell /usr/sbin/nologin sluice \
    && install -d -o sluice -g sluice -m 0750 /srv/sluice /srv/sluice/routes /srv/sluice/certs /srv/sluice/state
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY routes/ /srv/sluice/routes/
WORKDIR /srv/sluice
ENV SLUICE_ROUTES=/srv/sluice/routes \
    SLUICE_STATE=/srv/sluice/state \
    SLUICE_LISTEN=0.0.0.0:8080 \
    SLUICE_ADMIN=127.0.0.1:9901
VOLUME ["/srv/sluice/routes", "/srv/sluice/certs", "/srv/sluice/state"]
EXPOSE 8080 8443 9901
USER sluice
# Ready = the admin API answers /health/ready. No curl in the image: bash's /dev/tcp does
# the request. With SLUICE_ADMIN on another port, change the port here too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9901 && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["serve"]
