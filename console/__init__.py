"""hangconsole: an incident console for hung Docker/containerd hosts."""
__version__ = "0.1.0"


def playbooks_dir() -> str:
    """Where the bundled playbook files are (the top-level playbooks/ folder)."""
    import os

    from . import playbooks
    return os.path.dirname(playbooks.__file__)
