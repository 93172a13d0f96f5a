"""Packages by discovery: every folder with an __init__.py under console/ and screens/ is a
subpackage of hangconsole (pyproject.toml maps the folders), so a new module cannot be
forgotten by a hand-written list."""
from setuptools import find_packages, setup


def under(name: str, folder: str) -> list[str]:
    return [name] + [f"{name}.{p}" for p in find_packages(folder)]


setup(packages=under("hangconsole", "console") + under("hangconsole.screens", "screens")
      + ["hangconsole.playbooks"])
