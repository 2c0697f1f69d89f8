"""style: placeholder until its lab lands (see the open issue for this topic)."""
from dashboard.stub import coming_soon

coming_soon("style", [
    'The Gram matrix of a real image as a C×C heat map',
    'Texture synthesis from noise by Gram matching',
    'Gatys style transfer J(G) = αJ_content + βJ_style with live loss curves',
    'Fast feed-forward style transfer on images and webcam',
])
