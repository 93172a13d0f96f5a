"""Recordings: a versioned, compressed file of timed HostSnapshot frames."""
