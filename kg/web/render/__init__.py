"""Rendering: HTML pages, JSON-LD, the service description."""
