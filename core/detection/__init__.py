"""Object detection: sliding windows, their convolutional implementation, boxes."""
