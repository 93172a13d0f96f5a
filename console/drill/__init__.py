"""Live drills (`hangconsole drill`): session.py runs one (break the lab, open the console on it,
check victory, debrief); pages.py says what the trainee is told; scope.py keeps every act on
the lab; victory.py asks the engine whether it is fixed; debrief.py reads the audit log.
Kept empty: the command line imports pages.py for its --help, and nothing else."""
