"""Playbooks: data files of guided steps (explain, check, evidence, act, verify) bound to a
finding, run by the console and by `hangconsole fix`."""
