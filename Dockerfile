# syntax=docker/dockerfile:1
# headwater for servers: one image runs the webserver, the daemon, code servers and run
# workers; the command picks which (`docker run IMAGE daemon run -w ...`). Three stages:
#   ui     builds the web UI from ui/ (Node only lives here)
#   wheel  builds headwater's wheel; hatch_build.py finds the UI already built and ships it
#   final  python:3.11-slim with the wheel and the extras a server needs, run as a non-root user
# Build from the repository's root: docker build -t headwater .
# User code goes on top: FROM headwater, COPY the project to /opt/headwater/app, pip install
# what it imports (or mount it there, as docker-compose.yml does).

FROM node:20-bookworm-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
# vite writes the build to ../src/headwater/server/static, as in a checkout
RUN npm run build

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml hatch_build.py README.md ./
COPY src/ src/
COPY --from=ui /src/src/headwater/server/static/ src/headwater/server/static/
# Without ui/ in this stage the build hook takes the copied UI as it is and never calls npm.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEADWATER_HOME=/opt/headwater/home
# A fixed numeric id, so that Kubernetes' runAsNonRoot can check it without a user database.
RUN groupadd --system --gid 10001 headwater \
    && useradd --system --uid 10001 --gid headwater --home-dir /opt/headwater --create-home \
        --shell /usr/sbin/nologin headwater \
    && mkdir -p /opt/headwater/home /opt/headwater/app \
    && chown -R headwater:headwater /opt/headwater
COPY --from=wheel /dist/ /tmp/dist/
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The wheel's file name carries the version, so it is found rather than spelled out; it is
# this build's own file, so DL3013's "pin the version" is already met.
# hadolint ignore=DL3013
RUN wheel="$(ls /tmp/dist/headwater-*.whl)" \
    && pip install --no-cache-dir "${wheel}[ui,postgres]" \
    && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /opt/headwater/app
# 3000: the webserver; 4000: a code server (`code-server start -p 4000`).
EXPOSE 3000 4000
# The webserver's /api/health, with the access token when one is set; the Host is 127.0.0.1,
# which the webserver always answers to. Other commands (daemon, code server) override or
# disable this check (docker-compose.yml does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; t = os.environ.get('HEADWATER_WEBSERVER_TOKEN') or os.environ.get('HEADWATER_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:3000/api/health', headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=4)"]
ENTRYPOINT ["headwater"]
CMD ["webserver", "-h", "0.0.0.0", "-p", "3000"]
