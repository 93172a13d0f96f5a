"""Keys, and what each screen shows."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]hangconsole[/b]: what every container's runtime is doing, and the hangs it recognises.

[b]Everywhere[/b]
  q  quit            ?  this help        f  findings      ctrl+p  command palette
  g  goroutine stacks (when a dump of this incident exists)
  k  kernel log (OOM kills, pids refusals, kubelet)    r  refresh now (live)
  e  debrief: ends a training exercise; in a drill, checks the lab for victory
  [ ]  step a frame   { }  ten frames   < >  first/last   space  play/pause (replay)

[b]Overview[/b]
  containers worst first: findings as badges, Docker calls pending on each
  with a live "stuck N s" counter; the strip: daemon health, kernel log, degraded notes.
  enter  open the container

[b]Container[/b]
  runtime process tree (shim, runc exec, runc init, the container's
  processes, zombies); the selected task's threads with state, wchan, decoded syscall
  (fd resolved), kernel stack and "stuck N s"; its pipes with both ends and queued /
  capacity; the cgroup levels (pids, memory, OOM kills, freezer).
  tab  next panel    enter on a pipe (or o)  jump to the process at the other end
  K  kill the selected process (its pid typed; simulated in training)   escape  back

[b]Findings[/b]
  each recognised hang, its evidence, root cause and playbook.
  enter  open the container   p  walk its playbook (simulated on a recording)
  escape  back   (training: f first asks for your hypothesis, then shows the findings)

[b]Playbook[/b]
  each step shows what it will do and to which targets; read-only steps run on their own.
  enter  run the next step (it asks first: y/n, or the typed id for kills)
  a  run the rest, still asking at each act       escape  leave: nothing runs after it

[b]Goroutine stacks[/b]
  identical stacks grouped, biggest first, with the longest wait.
  /  filter      up/down  a group's frames      escape  back

Nothing here waits on Docker or /proc: calls that hang are shown as evidence.
escape closes this help."""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 100%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP)
