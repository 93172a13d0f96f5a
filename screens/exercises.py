"""Training and live drills, the app's part: the incident picked from the list, the hypothesis
and its chain, the debrief, and a drill's victory check (console/training.py and
console/drill/ hold the rules; this is how the console asks and shows)."""
from __future__ import annotations

import os

from textual import work

from hangconsole.safetext import visible


class Exercises:
    """Mixed into HangConsoleApp: self.training (a TrainingSession) or self.drill (a Drill)."""

    def start_training(self, incident) -> None:
        """From the incident list: replay it, in training."""
        from hangconsole.record.fileformat import Recording
        from hangconsole.sources import ReplaySource
        from hangconsole.training import TrainingSession
        self.source = ReplaySource(Recording(incident.path))
        self.training = TrainingSession(incident)
        self.stack_files = incident_dumps(incident.name, training=True)
        self.pick_incident = False
        self.pop_screen()
        self._start()

    def _hypothesised(self, answer) -> None:
        if answer is None:                       # not yet: keep looking
            return
        from hangconsole.training import DONT_KNOW

        from .chain import ChainScreen
        cls, cid = answer
        said = cls if cls == DONT_KNOW else f"{cls} on " + (
            visible(self.snapshot.container(cid).name, 40) if cid and self.snapshot and self.snapshot.container(cid)
            else "no container")
        self.push_screen(ChainScreen(self.training.chain_choices(), said),
                         lambda chain: self._chained(answer, chain))

    def _chained(self, answer, chain) -> None:
        self.training.commit(*answer, chain=chain or [])    # the chain screen has no way back
        if self.snapshot is not None:
            self.show(self.snapshot, self.findings)    # the findings show now
        self.action_findings()

    def action_end_training(self) -> None:
        """Training: end the exercise here (some incidents need no playbook) and debrief."""
        import tempfile
        if self.training:
            self.training.note("finished", "ended by the trainee")
            self.show_debrief(tempfile.mkdtemp(prefix="hangconsole-training-"))
        elif self.drill:
            self.notify("checking the lab: the calls that hung, the zombies, the saved bytes …", timeout=5)
            self._check_drill()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _check_drill(self) -> None:
        """A drill: victory checked on the live lab (calls with deadlines, off the UI thread),
        then its debrief on screen; the drill goes on if the lab is not fixed."""
        from .training import DebriefScreen
        won, lines = self.drill.check()
        saved = self.drill.incident.file("debrief.md")
        self.call_from_thread(self.clear_notifications)         # "checking …" is answered
        self.call_from_thread(self.push_screen, DebriefScreen(
            lines + ["", "q ends the drill." if won else "Esc goes back to the console: the drill goes on."], saved))

    def expected_container(self) -> str | None:
        """Training: the container of the finding a right diagnosis names."""
        if not self.training:
            return None
        return next((f.container for f in self.findings if f.cls == self.training.incident.expect), None)

    def show_debrief(self, directory: str) -> None:
        """Training: the debrief on screen, saved as debrief.md and debrief.json in DIRECTORY."""
        from hangconsole import training as tr

        from .training import DebriefScreen
        expected = self.expected_container()
        f = next((f for f in self.findings if f.container == expected
                  and f.cls == self.training.incident.expect), None)
        links = getattr(f, "causes", None) or []
        causes = [c.get("text", "") for c in links]
        first = next((c for c in links if c.get("kind") == "observed"), None)
        check_first = f"{first['text']} (seen in: {first['source']})" if first else None
        snap, pods = self.snapshot, {}
        for c in (snap.containers if snap else []):
            if c.shim_pid:
                pods.setdefault(c.shim_pid, []).append(c)
        pod_of = {c.id: [x.name for x in group] for group in pods.values() for c in group}
        c = snap.container(expected) if snap and expected else None
        mine = {p.pid for p in snap.runtime_tree(c)} if c else set()
        has_pipes = any({e.pid for e in pp.readers + pp.writers} & mine for pp in snap.pipes) if snap else False
        d = self.training.debrief(expected, causes, pod_of, check_first=check_first, has_pipes=has_pipes)
        md, _ = tr.save(d, directory)
        self.push_screen(DebriefScreen(tr.debrief_lines(d), md))


def incident_dumps(name: str, training: bool = False) -> list[str]:
    """The goroutine dumps bundled with incident NAME. In training, not the ones its engineers
    could not simply take (stories.toml `hidden_dumps`: seed 001's shim writes its dump to
    /dev/null; the report got it with a kprobe): the trainee finds that out by trying."""
    from hangconsole.incidents import HERE, story
    hidden = story(name).get("hidden_dumps", []) if training else []
    return sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                  if f.startswith(name + "-") and f.endswith((".txt", ".log"))
                  and not any(f.startswith(f"{name}-{kind}-") for kind in hidden))
