"""hangconsole: an incident console for hung Docker/containerd hosts."""
__version__ = "0.1.0"
