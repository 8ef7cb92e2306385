"""pytest fixtures for quanhui plugin authors (registered as a pytest11 entry point)."""
