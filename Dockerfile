# CNN Lab, CPU image. Build:  docker build -t cnn-lab .
# Run:    docker run -p 8501:8501 cnn-lab        (then open http://localhost:8501)
# GPU:    build with --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 and run with
#         --gpus all; the app picks CUDA by itself (CNNLAB_DEVICE overrides).
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CNNLAB_HOME=/opt/cnnlab-cache TORCH_HOME=/opt/torch-cache \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false STREAMLIT_SERVER_HEADLESS=true

RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Torch first (CPU wheels unless TORCH_INDEX says otherwise), so code edits don't rebuild it.
RUN pip install --index-url "$TORCH_INDEX" torch torchvision
COPY pyproject.toml README.md ./
COPY core ./core
COPY dashboard ./dashboard
RUN pip install -e .
COPY . .

# Bake every pretrained weight into the image, so the container starts and runs offline.
# (`|| true`: a build without network still produces a working image on bundled models.)
RUN cnnlab prefetch --timeout 60 || true
# Compile UMAP's numba code into the image's cache folder (first UMAP in the app: ~3 s, not ~25 s).
RUN python -c "from core.embeddings.project import warm_up_umap; warm_up_umap(block=True)"

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=3)"
CMD ["streamlit", "run", "dashboard/app.py", "--server.port=8501", "--server.address=0.0.0.0"]
