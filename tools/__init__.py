"""Development tools kept beside the package, never installed with it."""
