"""Blueprints of the web UI and the page data they render."""
