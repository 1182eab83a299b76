"""Ouroboros core: framework-free services, models and the local runtime. Never imports Django."""

__version__ = "0.1.0"
