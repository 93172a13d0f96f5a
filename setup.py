"""Packages by discovery: every folder with an __init__.py under console/ and screens/ is a
subpackage of hangconsole (pyproject.toml maps the folders), so a new module cannot be
forgotten by a hand-written list.

One optional C extension: hangconsole.stacks._scan, the goroutine-dump scanner
(console/stacks/_scan.c). Without a compiler or Python's headers the build says so and goes
on; the package then reads dumps in pure Python (slower, the same result)."""
from setuptools import Extension, find_packages, setup


def under(name: str, folder: str) -> list[str]:
    return [name] + [f"{name}.{p}" for p in find_packages(folder)]


setup(packages=under("hangconsole", "console") + under("hangconsole.screens", "screens")
      + ["hangconsole.playbooks"],
      ext_modules=[Extension("hangconsole.stacks._scan", ["console/stacks/_scan.c"], optional=True,
                             extra_compile_args=["-Wall", "-Wextra", "-Wno-unused-parameter",
                                                 "-Wno-missing-field-initializers"])])
