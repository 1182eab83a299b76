"""The console's home page and dashboard."""
