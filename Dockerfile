# scoregate container image.
# Build stage: Debian 12 with the -dev packages, CMake Release build of the one binary.
# Runtime stage: Debian 12 slim with only the shared libraries that binary loads
# (tests/chart/docker_libs.py checks this list against `ldd` of the built binary),
# running as the numeric non-root user 65532 that the Helm chart expects.

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libyaml-dev libjansson-dev libpcre2-dev libssl-dev \
      libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DSG_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target scoregate \
 && strip /build/scoregate

FROM debian:12-slim
# Runtime libraries of scoregate (one package per library it links; see docker_libs.py).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libjansson4 libyaml-0-2 libpcre2-8-0 libssl3 libmicrohttpd12 libgnutls30 libcurl4 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* /var/log/apt /var/log/dpkg.log \
 && mkdir -p /var/lib/scoregate \
 && chown 65532:65532 /var/lib/scoregate
COPY --from=build /build/scoregate /usr/local/bin/scoregate
LABEL org.opencontainers.image.title="scoregate" \
      org.opencontainers.image.description="Kubernetes admission webhook and pre-deployment checker that predicts the secure score"
# The state dir (and ./scoregate-state of a config-less `serve`) is writable by the user;
# in Kubernetes the chart mounts an emptyDir here and keeps the root filesystem read-only.
WORKDIR /var/lib/scoregate
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/scoregate"]
CMD ["serve"]
