"""A private Docker engine to break on purpose: for the tests, and a training sandbox."""
