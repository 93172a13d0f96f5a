"""Snapshots -> named hangs with evidence. One module per hang class; engine.py runs them."""
