"""What every hangconsole app does to fail safely. Notifications are plain text (they quote
host text: a comm, a path, an error). An unhandled error leaves a crash report on disk and
the command prints one line with its path after the terminal is restored: Textual's own
traceback, with locals full of host text, never reaches the operator's terminal."""
from __future__ import annotations

from textual.app import App

from hangconsole.safetext import visible, visible_lines


class SafeApp(App):
    crash: tuple[BaseException, str | None] | None = None

    def _handle_exception(self, error: Exception) -> None:
        from hangconsole import crash
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
