# Lineage worker images (see docker-compose.yml).
#   docker build --target control -t lineage-worker:control .
#   docker build --target gpu     -t lineage-worker:gpu .

FROM node:20-bookworm AS node-base
RUN apt-get update \
 && apt-get install -y --no-install-recommends git python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# The repository, built (npm ci runs `tsc -p tsconfig.json` as postinstall).
FROM node-base AS app
COPY . .
RUN npm ci && npm run build

# CUDA-enabled torch from PyPI (Debian's python3-torch is CPU-only).
FROM node-base AS torch
RUN python3 -m venv /opt/torch \
 && /opt/torch/bin/pip install --no-cache-dir torch numpy

FROM app AS control
COPY --from=torch /opt/torch /opt/torch
ENV LINEAGE_PYTHON=/opt/torch/bin/python
CMD ["node", "dist/workers/control.js"]

FROM app AS gpu
COPY --from=torch /opt/torch /opt/torch
ENV LINEAGE_PYTHON=/opt/torch/bin/python
CMD ["node", "dist/workers/gpu.js", "--gpus", "0"]
