# CNN Lab, CPU image. Build:  docker build -t cnn-lab .
# Run:    docker run -p 8501:8501 cnn-lab        (then open http://localhost:8501)
# GPU:    build with --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 and run with
#         --gpus all; the app picks CUDA by itself (CNNLAB_DEVICE overrides).
# Hosted: nothing hosted is set here; a public deployment adds -e CNNLAB_HOSTED=1 to `run`.
# Offline: the image runs with --network none (bundled fallbacks serve every page).
# Build args:
#   BASE         the Python 3.11 base image (default: the official slim one). Where no registry
#                can be reached, `scripts/docker_base.sh` makes `cnnlab-base` from Debian's
#                packages and `make docker-smoke` builds with --build-arg BASE=cnnlab-base.
#   TORCH_INDEX  the index torch comes from (default: PyTorch's CPU wheels; empty: pip's own
#                configuration, e.g. the machine's local wheel folders).
#   TORCH_PINS   what to install from it (default: the newest torch and torchvision).
#   PREFETCH     1: download every pretrained weight into the image (needs network); 0: skip.
ARG BASE=python:3.11-slim
FROM ${BASE}

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG TORCH_PINS="torch torchvision"
ARG PREFETCH=1
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    CNNLAB_HOME=/opt/cnnlab-cache TORCH_HOME=/opt/torch-cache \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false STREAMLIT_SERVER_HEADLESS=true

# OpenCV's libraries and the CJK font; a base made by scripts/docker_base.sh has them already.
RUN if ! dpkg -s libgl1 libglib2.0-0 fonts-noto-cjk >/dev/null 2>&1; then \
        apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 fonts-noto-cjk \
        && rm -rf /var/lib/apt/lists/*; fi \
    && python3 -m venv "$VIRTUAL_ENV"

WORKDIR /app
# Torch first (CPU wheels unless TORCH_INDEX says otherwise), so code edits don't rebuild it:
# the wheels themselves, then what they depend on (on a CUDA index: ~3.5 GB of CUDA libraries),
# as two layers, as committing a layer needs about three times its size on disk for a moment.
RUN pip install --no-deps ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} $TORCH_PINS
RUN pip install ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} $TORCH_PINS
COPY pyproject.toml README.md ./
COPY core ./core
COPY dashboard ./dashboard
RUN pip install -e .
# Compile UMAP's numba code into the image's cache folder (first UMAP in the app: ~3 s, not ~25 s).
RUN python -c "from core.embeddings.project import warm_up_umap, umap_status; warm_up_umap(block=True); \
st = umap_status(); print('UMAP warm-up:', st); raise SystemExit(0 if st['ready'] else 1)"
COPY . .

# Bake every pretrained weight into the image, so the container starts and runs offline.
# (`|| true`: a build without network still produces a working image on bundled models.)
RUN if [ "$PREFETCH" = 1 ]; then cnnlab prefetch --timeout 60 || true; fi

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=3)"
CMD ["streamlit", "run", "dashboard/app.py", "--server.port=8501", "--server.address=0.0.0.0"]
