"""Collectors: /proc, pipes, cgroups, the kernel log and Docker probes, and the live source."""
