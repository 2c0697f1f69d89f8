"""detection: placeholder until its lab lands (see the open issue for this topic)."""
from dashboard.stub import coming_soon

coming_soon("detection", [
    "YOLO detection on sample images, uploads, video and webcam, with the model's provenance",
    'IoU playground: two boxes, intersection and union shaded, the number',
    "Non-max suppression step by step on the model's real candidates, checked against torchvision.ops.nms",
    'The YOLO grid and target vector y = [p_c, b_x, b_y, b_h, b_w, c_1..c_C] with anchor boxes',
    'Sliding windows vs the convolutional implementation of sliding windows',
])
