"""deepdream: placeholder until its lab lands (see the open issue for this topic)."""
from dashboard.stub import coming_soon

coming_soon("deepdream", [
    'Gradient ascent on a chosen layer, octave by octave, the image updating live',
    "Low layers (edges, braids) vs high layers (eyes, dog faces), as in the notes' sky example",
    'Large images by tiling; download PNG and an animated GIF',
])
