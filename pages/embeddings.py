"""embeddings: placeholder until its lab lands (see the open issue for this topic)."""
from dashboard.stub import coming_soon

coming_soon("embeddings", [
    'Pixel-space vs embedding-space distance',
    'Cross-entropy, contrastive and triplet embeddings trained in the page with semi-hard mining',
    'Face detection, 68 landmarks, 128-D descriptors, verification and identification',
    'UMAP and t-SNE scatter plots of any embedding set',
])
