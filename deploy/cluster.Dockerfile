# The cluster image: the upload server, the workers, Redis and the nginx balancer of
# docker-compose.yml all run from it. Built by `python -m faasm_cli.cluster.image build`
# (`inv cluster-image`), which puts the wheels of faasm-cli and its dependencies, made on the host
# with the host's pip settings, next to this file: nothing is fetched from PyPI inside the build.
# It also puts the host's Python runtime (`faasm python build`) in python/ (empty with
# --without-python): it goes where the workers' cache root looks for it.
#
# BASE_IMAGE: any Debian bookworm image (see toolchain/Dockerfile for making one with
# debootstrap where no registry is reachable).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

ARG DEBIAN_MIRROR=http://deb.debian.org/debian

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1

RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
 && printf '%s\n' 'Types: deb' "URIs: ${DEBIAN_MIRROR}" 'Suites: bookworm bookworm-updates' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
      > /etc/apt/sources.list.d/debian.sources \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends python3 python3-pip redis-server nginx-light \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

# Before the wheels: the runtime changes far less often than faasm-cli.
COPY python /var/cache/faasm/python

COPY wheels /tmp/wheels
RUN pip3 install --no-index --find-links /tmp/wheels --break-system-packages --no-compile faasm-cli \
 && rm -rf /tmp/wheels

# Functions and shared files live in a volume mounted at /var/lib/faasm, machine code in one at
# /var/cache/faasm/modules (docker-compose.yml); the Python runtime stays the image's own.
ENV FAASM_CACHE_DIR=/var/cache/faasm \
    FAASM_CLUSTER_DIR=/var/lib/faasm
WORKDIR /var/lib/faasm
