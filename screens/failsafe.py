"""What every hangconsole app does to fail safely. Notifications are plain text (they quote
host text: a comm, a path, an error). An unhandled error leaves a crash report on disk and
the command prints one line with its path after the terminal is restored: Textual's own
traceback, with locals full of host text, never reaches the operator's terminal."""
from __future__ import annotations

import functools

from rich.text import Text
from textual.app import App

from hangconsole.safetext import visible, visible_lines


class SafeApp(App):
    crash: tuple[BaseException, str | None] | None = None

    def _handle_exception(self, error: Exception) -> None:
        from hangconsole import crash
        if self.crash is None:                   # the first failure is the one to report
            rec = getattr(getattr(getattr(self, "source", None), "recording", None), "path", "")
            self.crash = (error, crash.save(error, rec or ", ".join(getattr(self, "paths", []) or [])))
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        self.bell()
        self._close_messages_no_wait()

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None,
               markup: bool = True) -> None:
        super().notify(visible_lines(message, 2000), title=visible(title, 200), severity=severity,
                       timeout=timeout, markup=False)


def panel(selector: str):
    """A panel's fill that fails says so in that panel (or in a notification, for tables and
    trees), with a crash report on disk; the rest of the screen and the console go on."""
    def wrap(fill):
        @functools.wraps(fill)
        def run(self, *args, **kw):
            try:
                return fill(self, *args, **kw)
            except Exception as e:               # noqa: BLE001 - data must not take the console down
                from hangconsole import crash
                path = crash.save(e, f"the {selector} panel ({fill.__name__})")
                msg = (f"this panel could not be shown: {type(e).__name__}: {visible(str(e), 200)} "
                       f"(crash report {path or 'not saved'}); the rest goes on")
                try:
                    widget = self.query_one(selector)
                    if hasattr(widget, "update"):
                        widget.update(Text(msg, style="bold red"))
                        return None
                except Exception:                # noqa: BLE001
                    pass
                self.notify(msg, severity="error", timeout=10)
                return None
        return run
    return wrap
