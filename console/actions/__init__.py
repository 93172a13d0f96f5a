"""What hangconsole does to a host: each action re-checks its target, saves evidence first,
honours dry runs, and writes an audit line. No textual here."""
