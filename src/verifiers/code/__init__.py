"""Code execution rewards (placeholder, filled below)."""
