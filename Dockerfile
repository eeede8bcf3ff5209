# Lineage worker images (see docker-compose.yml).
#   docker build --target control -t lineage-worker:control .
#   docker build --target gpu     -t lineage-worker:gpu .

FROM node:20-bookworm AS node-base
# bubblewrap: the trial sandbox (workers refuse trials without it); util-linux: setpriv, mount.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git python3 python3-venv bubblewrap util-linux \
 && rm -rf /var/lib/apt/lists/*
# Workers run as `lineage`, never root. Trials run inside bubblewrap's user namespace (uid 65534
# there); the host must allow unprivileged user namespaces (README, "Untrusted code").
RUN groupadd --system --gid 10001 lineage \
 && useradd --system --uid 10001 --gid lineage --home-dir /app --shell /usr/sbin/nologin lineage
WORKDIR /app

# The repository, built (npm ci runs `tsc -p tsconfig.json` as postinstall).
FROM node-base AS app
COPY . .
RUN npm ci && npm run build \
 && mkdir -p /app/.lineage && chown lineage:lineage /app/.lineage && chmod 0711 /app/.lineage

# CUDA-enabled torch from PyPI (Debian's python3-torch is CPU-only).
FROM node-base AS torch
RUN python3 -m venv /opt/torch \
 && /opt/torch/bin/pip install --no-cache-dir torch numpy

FROM app AS control
COPY --from=torch /opt/torch /opt/torch
ENV LINEAGE_PYTHON=/opt/torch/bin/python
USER lineage
CMD ["node", "dist/src/cli/main.js", "worker", "control"]

FROM app AS gpu
COPY --from=torch /opt/torch /opt/torch
ENV LINEAGE_PYTHON=/opt/torch/bin/python
USER lineage
CMD ["node", "dist/src/cli/main.js", "worker", "gpu", "--gpus", "0"]
