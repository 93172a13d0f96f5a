"""The footer every screen shows, made to fit an 80-column terminal (SSH from a laptop at 3 a.m.).
Below NARROW columns it is compact and leaves out the palette's key (ctrl+p still opens it);
on a screen other than the overview it shows the screen's own keys and only the app's quit,
help and debrief: the app's other keys (findings, kernel log, frames) still work there, and
the overview and the help (?) list them."""
from __future__ import annotations

from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey     # the pinned Textual's own key (pyproject: textual==8.2.8)

NARROW = 110
KEEP = ("quit", "help", "end_training")           # the app's keys every narrow footer keeps


class FitFooter(Footer):
    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        narrow = width < NARROW
        if narrow != self.compact:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.call_after_refresh(self.recompose)

    def compose(self):
        if not self.compact or getattr(self.screen, "FULL_FOOTER", False):
            yield from super().compose()
            return
        if not self._bindings_ready:
            return
        shown: dict[str, tuple] = {}
        for namespace, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and (namespace is not self.app or binding.action in KEEP):
                shown.setdefault(binding.action, (binding, enabled, tooltip))
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown.values():
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip).data_bind(compact=Footer.compact)
