"""The Max patch and Max for Live device of R-VAE, generated from the project's tables (see generate.py)."""
