"""review-app: an open-source systematic-review workflow manager."""

__version__ = "0.1.0"
