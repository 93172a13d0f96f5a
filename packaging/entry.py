"""The single executable's entry point: the same command line as the wheel's `hangconsole`."""
import sys

from hangconsole.cli import main

if __name__ == "__main__":
    sys.exit(main())
