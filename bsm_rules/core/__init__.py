"""Foundations every stage shares: source files and spans, the diagnostic type and its codes,
errors, the cache directory, packaged resources and exit statuses."""
