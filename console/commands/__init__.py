"""The commands of `hangconsole`, one module per group; console/cli.py parses and dispatches."""
