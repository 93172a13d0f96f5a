"""The hangconsole Textual app: a source (live host or recording) shown on screens.

Refresh is a timer chain: one thread worker collects a snapshot and runs the diagnosis;
only when it has finished is the next one scheduled, so polls never overlap and the UI
thread never waits on /proc or Docker. Counters of pending Docker calls tick once a second
from the last snapshot (live only: a replay shows the recording's own figures). The clock
and the source are injected so tests are deterministic.
"""
from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message

from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.finding import Finding
from hangconsole.diagnose.history import History
from hangconsole.model import HostSnapshot
from hangconsole.safetext import visible

from .exercises import Exercises
from .failsafe import SafeApp
from .overview import OverviewScreen

KEEP = 4                    # snapshots kept for diagnosis ("stuck" needs time)


class SnapshotReady(Message):
    def __init__(self, snapshot: HostSnapshot, findings: list[Finding],
                 history: list[HostSnapshot] | None = None, cost: float = 0.0) -> None:
        super().__init__()
        self.snapshot, self.findings, self.history = snapshot, findings, history
        self.cost = cost                    # seconds the live refresh took (collect + diagnose)


class CollectFailed(Message):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


FRAMES = Binding.Group("frame")          # "[ ] frame": one footer entry, so 80 columns hold every key


class HangConsoleApp(Exercises, SafeApp):
    TITLE = "hangconsole"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("f", "findings", "Findings"),
        Binding("g", "stacks", "Goroutines"),
        Binding("k", "kernel_log", "Kernel log"),
        Binding("e", "end_training", "Debrief"),
        Binding("r", "refresh_now", "Refresh"),
        Binding("left_square_bracket", "step(-1)", "◀ frame", group=FRAMES),
        Binding("right_square_bracket", "step(1)", "frame ▶", group=FRAMES),
        Binding("left_curly_bracket", "step(-10)", "-10", show=False),
        Binding("right_curly_bracket", "step(10)", "+10", show=False),
        Binding("less_than_sign", "seek(0)", "first", show=False),
        Binding("greater_than_sign", "seek(-1)", "last", show=False),
        Binding("space", "play", "Play/pause"),
    ]

    def __init__(self, source, *, interval: float = 2.0, clock: Callable[[], float] = time.time,
                 stack_files: list[str] | None = None, training=None, pick_incident: bool = False,
                 reveal: bool = False, drill=None):
        super().__init__()
        self.drill = drill                  # a live drill (console/drill): its page on the overview
        self.source = source
        self.training = training            # a TrainingSession when training
        self.pick_incident = pick_incident
        self.reveal = reveal                # instructors: the list shows each incident's answer
        self.interval = interval            # the base refresh interval
        self.wait = interval                # the current one: longer on a loaded host (pacing.py)
        self.backoff: str | None = None     # why it is longer, said in the header
        self.clock = clock
        self.stack_files = stack_files or []
        self.snapshot: HostSnapshot | None = None
        self.findings: list[Finding] = []
        self.history: deque[HostSnapshot] = deque(maxlen=KEEP)
        self.since: dict = {}               # when each state was first seen, past the kept samples
        self.playing = False
        self._collecting = False

    @property
    def live(self) -> bool:
        return bool(self.source is not None and self.source.live)

    def now(self) -> float | None:
        """Wall clock for ticking counters; None in replay (the recording's figures stand)."""
        return self.clock() if self.live else None

    def on_mount(self) -> None:
        if self.pick_incident:
            from .training import TrainingListScreen
            self.push_screen(TrainingListScreen(self.reveal))
            return
        self._start()

    def _start(self) -> None:
        if self.live:
            self.sub_title = "live"
            self.collect()
            self.set_interval(1.0, self._tick)
        else:
            self._show_frame()
        self.push_screen(OverviewScreen())
        if self.training:                        # symptom first: the page the on-call received
            from .training import PageScreen
            self.training.note("page", "read the page")
            self.push_screen(PageScreen(self.training.incident))

    # --- the timer chain ------------------------------------------------------------
    @work(thread=True, exclusive=True, group="collect", exit_on_error=False)
    def collect(self) -> None:
        self._collecting = True
        t0 = time.monotonic()
        try:
            snap = self.source.snapshot()
            history = list(self.history) + [snap]
            findings = diagnose(History(history, self.since), self._chain_extra())
        except Exception as e:                   # noqa: BLE001 - said on screen; the chain goes on
            self.post_message(CollectFailed(e))
            return
        finally:
            self._collecting = False
        self.post_message(SnapshotReady(snap, findings, cost=time.monotonic() - t0))

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.live:
            if message.history is not None:
                self.history = deque(message.history, maxlen=KEEP)
            self.show(message.snapshot, message.findings)
            return
        self.history.append(message.snapshot)
        from hangconsole.pacing import load_per_cpu, next_wait
        self.wait, self.backoff = next_wait(self.interval, self.wait, message.cost, load_per_cpu())
        self.show(message.snapshot, message.findings)
        self.set_timer(self.wait, self._next)      # from the end of this one: never queued

    def on_collect_failed(self, message: CollectFailed) -> None:
        """A sample that failed is said, and the next one is still scheduled: a refresh
        never stops silently."""
        e = message.error
        self.notify(f"sample failed: {type(e).__name__}: {e}; retrying in {self.wait:.0f}s",
                    severity="error", timeout=self.wait + 1)
        self.set_timer(self.wait, self._next)

    def _chain_extra(self):
        """The incident's goroutine dumps, read once (on a worker) for the causal chains."""
        from hangconsole.diagnose.causes import Extra, load_stacks
        files = tuple(self.stack_files)
        if getattr(self, "_extra_for", None) != files:
            self._extra, self._extra_for = Extra(stacks=load_stacks(list(files))[0]), files
        return self._extra

    def _next(self) -> None:
        if not self._collecting:
            self.collect()

    def _each_screen(self, method: str, *args) -> None:
        """Call METHOD on every mounted screen that has it (screens update themselves)."""
        for screen in self.screen_stack:
            if hasattr(screen, method) and screen.is_mounted:
                try:
                    getattr(screen, method)(*args)
                except Exception as e:           # noqa: BLE001 - one screen's failure is said, not fatal
                    from hangconsole import crash
                    path = crash.save(e, f"{type(screen).__name__}.{method}")
                    self.notify(f"{type(screen).__name__} could not show this sample: {type(e).__name__}: {e} "
                                f"(crash report {path or 'not saved'}); the console goes on",
                                severity="error", timeout=10)

    def _tick(self) -> None:
        self._each_screen("tick")

    # --- replay: frames load on a worker, so a key never waits on decoding -----------------
    def _show_frame(self) -> None:
        src = self.source
        if self.training:                      # a lab capture's file name is its answer
            from hangconsole.incidents import shown_name
            self.sub_title = visible(f"training: {shown_name(self.training.incident)}", 120)
        else:
            self.sub_title = visible(f"replay {os.path.basename(src.recording.path)}", 120)
        self._refresh_timeline()               # the timeline moves at once, the data follows
        self._load_frame(src.pos)

    @work(thread=True, exclusive=True, group="replay", exit_on_error=False)
    def _load_frame(self, pos: int) -> None:
        rec = self.source.recording
        snap = rec.frame(pos)
        if self.snapshot is None:                # first paint: the frame itself, findings next
            self.post_message(SnapshotReady(snap, []))
        frames = [rec.frame(i) for i in range(max(0, pos - (KEEP - 1)), pos)] + [snap]
        if pos == self.source.pos:
            self.post_message(SnapshotReady(snap, diagnose(History(frames), self._chain_extra()), frames))
        for i in (pos + 1, pos - KEEP):          # prefetch: the next step is a cache hit
            if 0 <= i < len(rec):
                rec.frame(i)

    def show(self, snap: HostSnapshot, findings: list[Finding]) -> None:
        self.snapshot, self.findings = snap, findings
        self._each_screen("show", snap, self.visible_findings)

    @property
    def visible_findings(self) -> list[Finding]:
        """In training, nothing names the hang before the trainee's hypothesis."""
        return [] if self.training and self.training.findings_hidden else self.findings

    # --- actions -------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.source is None:                  # the incident list: nothing to step or show yet
            return action in ("quit", "help")
        replay_only = ("step", "seek", "play")
        if action in replay_only:
            return not self.live
        if action == "refresh_now":
            return self.live
        if action == "stacks":
            return bool(self.stack_files)        # no key to nowhere
        if action == "end_training":
            return bool(self.training or self.drill)
        return True

    def action_refresh_now(self) -> None:
        self._next()

    def action_step(self, delta: int) -> None:
        self.source.step(delta)
        self._show_frame()

    def action_seek(self, index: int) -> None:
        """Frame INDEX (-1: the last)."""
        self.source.seek(index if index >= 0 else len(self.source) - 1)
        self._show_frame()

    def action_play(self) -> None:
        self.playing = not self.playing
        if self.playing:
            self._play_step()
        self._refresh_timeline()

    def _refresh_timeline(self) -> None:
        self._each_screen("moved")

    def _play_step(self) -> None:
        if not self.playing:
            return
        if self.source.pos >= len(self.source) - 1:
            self.playing = False
            self._refresh_timeline()
            return
        gap = self.source.recording.times[self.source.pos + 1] - self.source.recording.times[self.source.pos]
        self.set_timer(min(max(gap, 0.2), 2.0), self._play_next)

    def _play_next(self) -> None:
        if self.playing:
            self.source.step(1)
            self._show_frame()
            self._play_step()

    def action_help(self) -> None:
        from .help import HelpScreen
        if not self.is_screen_installed("help"):
            self.install_screen(HelpScreen(), name="help")     # built once, shown many times
        self.push_screen("help")

    def action_findings(self) -> None:
        from .findings import FindingsScreen
        if self.training and self.training.findings_hidden:
            from .hypothesis import HypothesisScreen
            from hangconsole import provenance as pv
            cs = [(c.id, f"{pv.mark(c, 'docker.name', 'pod.name')}{c.name[:40]}  {pv.short_id_mark(c)}{c.short_id}")
                  for c in (self.snapshot.containers if self.snapshot else [])]
            self.push_screen(HypothesisScreen(cs), self._hypothesised)
            return
        if self.training:
            self.training.look("findings")
            self.training.note("opened-findings", ", ".join(f.cls for f in self.findings))
        self.push_screen(FindingsScreen())

    def action_kernel_log(self) -> None:
        from .kernel_log import KernelLogScreen
        if self.training:
            self.training.look("kernel-log")
        self.push_screen(KernelLogScreen())

    def action_stacks(self) -> None:
        from .stacks import StacksScreen
        if self.training:
            self.training.look("stacks")
        hide = bool(self.training and self.training.findings_hidden)    # no answer before the hypothesis
        self.push_screen(StacksScreen.from_files(self.stack_files, hints=not hide))

    def open_playbook(self, finding) -> None:
        """The playbook of FINDING: for real on a live host, simulated on a recording."""
        import tempfile

        from hangconsole.actions.incident import Incident
        from hangconsole.playbook.context import RunContext
        from hangconsole.playbook.schema import load_all

        from .playbook import PlaybookScreen
        books, errors = load_all()
        for e in errors:                         # a broken file never takes the console down
            self.notify(f"broken playbook: {e}", severity="error", timeout=8)
        pb = books.get(finding.playbook or "")
        if pb is None:
            self.notify(f"no playbook for {finding.cls}", severity="warning")
            return
        simulate = not self.live
        incident = Incident(tempfile.mkdtemp(prefix="hangconsole-training-")) if simulate else self.incident()
        incident.record_findings(self.findings)     # the report lists what the incident had
        name = self.training.incident.name if self.training else ""
        prober = getattr(self.source, "prober", None)       # the Docker host this console watches
        ctx = RunContext(finding=finding, snapshot=self.snapshot, incident=incident,
                         take_snapshot=self.source.snapshot, simulate=simulate,
                         docker_host=prober.host if prober else None,
                         notes={"incident_name": name, "acts": self.training.acts if self.training else []})
        if self.training:
            self.training.note("started-playbook", pb.id)
        self.push_screen(PlaybookScreen(pb, ctx, training=simulate))

    def incident(self):
        """The live session's one incident directory: every playbook and kill of this console
        writes its evidence, audit lines and report there (made when first needed)."""
        from hangconsole.actions.incident import Incident
        if getattr(self, "_incident", None) is None:
            self._incident = self.drill.incident if self.drill else Incident()
        return self._incident

    def open_container(self, cid: str) -> None:
        from .container import ContainerScreen
        if self.training and cid == self.expected_container():
            self.training.look("container")
        self.push_screen(ContainerScreen(cid))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Findings", "Every recognised hang with its evidence", self.action_findings)
        yield SystemCommand("Help", "Keys and what each screen shows", self.action_help)
        if self.stack_files:
            yield SystemCommand("Goroutine stacks", "Grouped goroutine dumps of this incident", self.action_stacks)
        if not self.live:
            yield SystemCommand("Play / pause replay", "Step through the recording in its own time", self.action_play)
            yield SystemCommand("First frame", "Seek to the start of the recording", lambda: self.action_seek(0))
            yield SystemCommand("Last frame", "Seek to the end of the recording", lambda: self.action_seek(-1))
