"""segmentation: placeholder until its lab lands (see the open issue for this topic)."""
from dashboard.stub import coming_soon

coming_soon("segmentation", [
    'The U-Net diagram for any input size, with skip connections and their shapes',
    'Transposed convolution as the up-sampling step',
    'Train a small U-Net on generated data in the page and watch its prediction improve',
    'Segment sample and uploaded images; live webcam overlay',
])
