"""convolution: placeholder until its lab lands."""
from dashboard.stub import coming_soon

coming_soon("convolution", ["(being built)"])
