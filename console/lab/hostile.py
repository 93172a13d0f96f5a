"""The `hostile` fault's text: what a container controls, written to hurt the console that
shows it. Its main process renames itself `[/]` (markup that closes nothing), a child renames
itself to a title-rewrite escape, both carry escapes, an OSC 52 clipboard write and a bidi
override in their argv, its pod labels are markup and escapes, and an exec nobody reads fills
its stderr pipe with escape sequences."""
from __future__ import annotations

import shlex

TITLE = "\x1b]0;PWNED\x07"                       # rewrites the terminal's title when printed raw
LABEL = TITLE + "[/][b]bold[/b]\u202egnp.exe"
SCRIPT = ("printf '[/]' > /proc/$$/comm; "
          "sh -c 'printf \"\\033]0;PWNED\\007\" > /proc/$$/comm; while :; do sleep 3600; done' \"$1\" & "
          "while :; do sleep 3600; done")
CMD = ["sh", "-c", SCRIPT, "hc-hostile", TITLE + "[/]\u202e", "\x1b]52;c;cHduZWQ=\x07"]
# 20 MB of escape sequences on the exec's stderr; the client that should read them never does.
# (Not 2 MB: dockerd's buffers toward a stalled client at times take 2 MB whole, the exec
# ends, and nothing in the container is left blocked.)
EXEC = "yes \"$(printf '\\033]0;PWNED\\007\\033[2J[/]')\" | head -c 20000000 >&2"


def stalled_client(prefix: str) -> str:
    """PREFIX (`docker exec C`, `ctr task exec ... C`, `podman exec C`) running EXEC, its
    stdout and stderr into a reader that never reads."""
    return f"{prefix} sh -c {shlex.quote(EXEC)} 2>&1 | sleep 1000000"
