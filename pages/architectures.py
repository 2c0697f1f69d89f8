"""architectures: placeholder until its lab lands."""
from dashboard.stub import coming_soon

coming_soon("architectures", ["(being built)"])
