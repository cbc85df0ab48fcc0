"""The experiment store and the HPO studies in it, read from their files (no Optuna, no ML
framework): what the editor shows next to the program.

    <base>/hpo/<study>/journal.log        Optuna's journal: one JSON operation per line
    <base>/hpo/<study>/hpo_results.json   written when a search ends (importance, identity)
    <base>/<name>_<id>/metadata.json      one experiment (a training run or a trial)
    <base>/<name>_<id>/metrics.jsonl      its metric records, appended

Reading is incremental, as the TUI's reader does: a journal is read from the byte where
the previous poll stopped (a torn last line waits for its end), a JSON document only when
its size or mtime moved, the base folder listed only when its mtime moved. Anything
missing, damaged or half-written is skipped and noted in `problems`, never raised: the
store is being written by other processes while we read it.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

JOURNAL = "journal.log"
RESULTS = "hpo_results.json"
METADATA = "metadata.json"
HYPERPARAMETERS = "hyperparameters.json"  # a run records its program's path there ("program")
METRICS = "metrics.jsonl"
EXPERIMENT_FOLDER = re.compile(r"^.+_[0-9a-f]{8}$")  # the tracker's "<stem>_<8 hex digits>"
MAX_CHUNK = 8 << 20  # bytes of a journal parsed per poll at most (the rest on the next one)

# Optuna's journal operation codes and trial states (optuna.storages.journal, TrialState).
CREATE_STUDY, DELETE_STUDY, SET_STUDY_USER_ATTR, SET_STUDY_SYSTEM_ATTR = 0, 1, 2, 3
CREATE_TRIAL, SET_TRIAL_PARAM, SET_TRIAL_STATE_VALUES = 4, 5, 6
SET_TRIAL_INTERMEDIATE_VALUE, SET_TRIAL_USER_ATTR, SET_TRIAL_SYSTEM_ATTR = 7, 8, 9
TRIAL_STATES = {0: "RUNNING", 1: "COMPLETE", 2: "PRUNED", 3: "FAIL", 4: "WAITING"}
DIRECTIONS = {0: "not_set", 1: "minimize", 2: "maximize"}


@dataclass(slots=True)
class Trial:
    number: int
    state: str = "RUNNING"
    value: float | None = None
    params: dict[str, Any] = field(default_factory=dict)  # public values (64, "relu", 0.003)
    distributions: dict[str, dict] = field(default_factory=dict)  # Optuna's JSON form
    user_attrs: dict[str, Any] = field(default_factory=dict)
    start: float | None = None  # unix time
    end: float | None = None
    last_step: int | None = None  # latest intermediate value reported (pruning)

    @property
    def values(self) -> dict[str, Any]:
        """The trial's parameter values: the search records every one (`values`), Optuna only
        those it suggested."""
        got = self.user_attrs.get("values")
        return dict(got) if isinstance(got, dict) else dict(self.params)

    @property
    def finite(self) -> bool:
        return self.state == "COMPLETE" and isinstance(self.value, (int, float)) \
            and math.isfinite(self.value)


@dataclass(slots=True)
class Study:
    name: str
    folder: str  # <base>/hpo/<study>
    directions: list[str] = field(default_factory=list)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[Trial] = field(default_factory=list)
    results: dict[str, Any] | None = None  # hpo_results.json when written
    updated: float = 0.0  # mtime of the newest file read

    @property
    def direction(self) -> str:
        d = self.directions[0] if len(self.directions) == 1 else None
        if d in ("minimize", "maximize"):
            return d
        r = (self.results or {}).get("direction")
        return r if r in ("minimize", "maximize") else "minimize"

    @property
    def metric(self) -> str:
        return str(self.user_attrs.get("metric") or (self.results or {}).get("metric") or "value")

    def attr(self, key: str) -> Any:
        """A fact about the study from the journal's study attributes or hpo_results.json."""
        if key in self.user_attrs:
            return self.user_attrs[key]
        return (self.results or {}).get(key)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state] = out.get(t.state, 0) + 1
        return out

    def best(self) -> Trial | None:
        done = [t for t in self.trials if t.finite]
        if not done:
            return None
        pick = min if self.direction == "minimize" else max
        return pick(done, key=lambda t: t.value)


@dataclass(slots=True)
class Experiment:
    key: str  # folder name
    folder: str
    name: str
    status: str
    start: float | None
    tags: dict[str, Any]
    program: str | None = None  # the .neural file it ran, as the runner was given it
    latest: dict[str, Any] = field(default_factory=dict)  # the last metric record


@dataclass(slots=True)
class View:
    """One consistent picture of a store, replaced (never changed) by each poll that saw news."""

    base: str
    generation: int = 0
    studies: list[Study] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _sig(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _time(v: Any) -> float | None:
    if not isinstance(v, str):
        return None
    try:
        return _dt.datetime.fromisoformat(v).timestamp()
    except ValueError:
        return None


def _read_json(path: str) -> tuple[Any, str | None]:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read()), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        return None, f"{path}: {type(exc).__name__}: {exc}"[:300]


def public(internal: Any, distribution: dict) -> Any:
    """A parameter's value as the program writes it, from Optuna's internal representation
    (a categorical's is the index of its choice)."""
    name = distribution.get("name", "")
    attrs = distribution.get("attributes") or {}
    if name.startswith("Categorical"):
        choices = attrs.get("choices") or []
        i = int(internal) if isinstance(internal, (int, float)) else -1
        return choices[i] if 0 <= i < len(choices) else internal
    if name.startswith("Int") and isinstance(internal, float) and internal.is_integer():
        return int(internal)
    return internal


class Journal:
    """One Optuna journal file, replayed incrementally into studies and trials."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.folder = os.path.dirname(path)
        self.offset = 0
        self.pending = b""
        self.sig: tuple[int, int] | None = None
        self.studies: dict[int, Study] = {}  # by study_id
        self.next_study_id = 0
        self.trials: dict[int, Trial] = {}  # by trial_id (numbered across the journal)
        self.bad_lines = 0

    def poll(self) -> bool:
        """Read what was appended; True when anything changed."""
        sig = _sig(self.path)
        if sig is None or sig == self.sig:
            return False
        if sig[0] < self.offset:  # rewritten or truncated: replay from the start
            self.__init__(self.path)
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read(MAX_CHUNK)
        except OSError:
            return False
        self.offset += len(chunk)
        if self.offset >= sig[0]:
            self.sig = sig  # everything read; otherwise the next poll reads on
        data = self.pending + chunk
        lines = data.split(b"\n")
        self.pending = lines.pop()  # the torn last line (b"" after a complete one)
        for raw in lines:
            if not raw.strip():
                continue
            try:
                op = json.loads(raw)
                self._apply(op)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
                self.bad_lines += 1  # RecursionError: nesting deeper than json can parse
        return bool(chunk)

    def _study(self, op: dict) -> Study | None:
        return self.studies.get(op.get("study_id"))

    def _trial(self, op: dict) -> Trial | None:
        """The trial an update names, if it may still change (Optuna ignores updates to
        finished trials)."""
        got = self.trials.get(op.get("trial_id"))
        return got if got is not None and got.state in ("RUNNING", "WAITING") else None

    def _apply(self, op: dict) -> None:
        """One journal operation, with Optuna's own rules (JournalStorage's replay)."""
        code = op["op_code"]
        if code == CREATE_STUDY:
            name = str(op["study_name"])
            if any(s.name == name for s in self.studies.values()):
                return  # a duplicate: Optuna refuses it and does not use an id
            dirs = [DIRECTIONS.get(d, "minimize") for d in op.get("directions") or [1]]
            self.studies[self.next_study_id] = Study(name, self.folder, dirs)
            self.next_study_id += 1
        elif code == DELETE_STUDY:
            self.studies.pop(op.get("study_id"), None)
        elif code == SET_STUDY_USER_ATTR:
            s = self._study(op)
            if s is not None:
                s.user_attrs.update(op.get("user_attr") or {})
        elif code == CREATE_TRIAL:
            s = self._study(op)
            if s is None:
                return
            t = Trial(len(s.trials), TRIAL_STATES.get(op.get("state", 0), "RUNNING"))
            t.start = _time(op.get("datetime_start"))
            t.end = _time(op.get("datetime_complete"))
            t.user_attrs.update(op.get("user_attrs") or {})
            dists = op.get("distributions") or {}
            for k, v in (op.get("params") or {}).items():
                d = json.loads(dists[k]) if isinstance(dists.get(k), str) else (dists.get(k) or {})
                t.distributions[k] = d
                t.params[k] = public(v, d)
            values = op.get("values")
            if values is None and op.get("value") is not None:
                values = [op["value"]]
            if values:
                t.value = values[0]
            s.trials.append(t)
            self.trials[len(self.trials)] = t
        elif code == SET_TRIAL_PARAM:
            t = self._trial(op)
            if t is not None:
                d = op.get("distribution")
                d = json.loads(d) if isinstance(d, str) else (d or {})
                name = op["param_name"]
                t.distributions[name] = d
                t.params[name] = public(op.get("param_value_internal"), d)
        elif code == SET_TRIAL_STATE_VALUES:
            t = self._trial(op)
            state = TRIAL_STATES.get(op.get("state"))
            if t is None or state is None or (state == t.state == "RUNNING"):
                return
            t.state = state
            if op.get("values"):
                t.value = op["values"][0]
            if state == "RUNNING":
                t.start = _time(op.get("datetime_start")) or t.start
            if state in ("COMPLETE", "PRUNED", "FAIL"):
                t.end = _time(op.get("datetime_complete")) or t.end
        elif code == SET_TRIAL_INTERMEDIATE_VALUE:
            t = self._trial(op)
            step = op.get("step")
            if t is not None and isinstance(step, int):
                t.last_step = step if t.last_step is None else max(t.last_step, step)
        elif code == SET_TRIAL_USER_ATTR:
            t = self._trial(op)
            if t is not None:
                t.user_attrs.update(op.get("user_attr") or {})

    def live(self) -> list[Study]:
        return list(self.studies.values())


class _Document:
    """A small JSON document re-read only when its size or mtime moves."""

    __slots__ = ("path", "sig", "doc", "error")

    def __init__(self, path: str) -> None:
        self.path = path
        self.sig: tuple[int, int] | None = None
        self.doc: Any = None
        self.error: str | None = None

    def poll(self) -> bool:
        sig = _sig(self.path)
        if sig == self.sig:
            return False
        self.sig = sig
        doc, error = _read_json(self.path) if sig is not None else (None, None)
        if error is not None and self.doc is not None:
            return False  # being rewritten: keep the last good copy, read again next time
        self.doc, self.error = doc, error
        return True


class _Tail:
    """The last record of a metrics.jsonl, reading only appended bytes."""

    __slots__ = ("path", "offset", "sig", "last", "pending")

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.sig: tuple[int, int] | None = None
        self.last: dict[str, Any] = {}
        self.pending = b""

    def poll(self) -> bool:
        sig = _sig(self.path)
        if sig is None or sig == self.sig:
            return False
        if sig[0] < self.offset:
            self.offset, self.pending, self.last = 0, b"", {}
        try:
            with open(self.path, "rb") as f:
                f.seek(max(self.offset, sig[0] - 65536) if not self.offset else self.offset)
                if not self.offset and sig[0] > 65536:
                    f.readline()  # started mid-file: skip to a line start
                chunk = f.read()
                self.offset = f.tell()
        except OSError:
            return False
        self.sig = sig
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        changed = False
        for raw in reversed(lines):
            try:
                rec = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if isinstance(rec, dict):
                self.last = rec
                changed = True
                break
        return changed


class StoreReader:
    """Everything the editor shows about one store; `poll()` from one thread at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.view = View(base)
        self._journals: dict[str, Journal] = {}
        self._results: dict[str, _Document] = {}
        self._metadata: dict[str, _Document] = {}
        self._hyper: dict[str, _Document] = {}
        self._tails: dict[str, _Tail] = {}
        self._base_sig: tuple[int, int] | None = None
        self._hpo_sig: tuple[int, int] | None = None
        self._folders: list[str] = []
        self._study_dirs: list[str] = []
        self.lock = threading.Lock()

    def poll(self) -> View:
        """Bring the view up to date; the same object when nothing changed."""
        with self.lock:
            changed = self._poll_studies() | self._poll_experiments()
            if changed:
                problems = [f"{j.path}: {j.bad_lines} unreadable line(s)"
                            for j in self._journals.values() if j.bad_lines]
                problems += [d.error for d in (*self._results.values(), *self._metadata.values())
                             if d.error]
                self.view = View(self.base, self.view.generation + 1, self._studies(),
                                 self._experiments(), problems)
            return self.view

    # ------------------------------------------------------------------ studies
    def _poll_studies(self) -> bool:
        hpo = os.path.join(self.base, "hpo")
        sig = _sig(hpo)
        changed = False
        if sig != self._hpo_sig:
            self._hpo_sig = sig
            try:
                names = sorted(e.name for e in os.scandir(hpo) if e.is_dir(follow_symlinks=False))
            except OSError:
                names = []
            self._study_dirs = [os.path.join(hpo, n) for n in names]
            keep = {os.path.join(d, JOURNAL) for d in self._study_dirs}
            for gone in set(self._journals) - keep:
                del self._journals[gone]
                changed = True
        for d in self._study_dirs:
            jp = os.path.join(d, JOURNAL)
            journal = self._journals.get(jp)
            if journal is None:
                journal = self._journals[jp] = Journal(jp)
            changed |= journal.poll()
            rp = os.path.join(d, RESULTS)
            doc = self._results.get(rp)
            if doc is None:
                doc = self._results[rp] = _Document(rp)
            changed |= doc.poll()
        return changed

    def _studies(self) -> list[Study]:
        out = []
        for jp, journal in self._journals.items():
            doc = self._results.get(os.path.join(os.path.dirname(jp), RESULTS))
            results = doc.doc if doc is not None and isinstance(doc.doc, dict) else None
            sig = _sig(jp)
            for s in journal.live():
                mine = results if results is not None and results.get("study") == s.name else None
                out.append(Study(s.name, s.folder, list(s.directions), dict(s.user_attrs),
                                 [_copy(t) for t in s.trials], mine,
                                 sig[1] / 1e9 if sig else 0.0))
        return out

    # ------------------------------------------------------------------ experiments
    def _poll_experiments(self) -> bool:
        sig = _sig(self.base)
        changed = False
        if sig != self._base_sig:
            self._base_sig = sig
            try:
                names = sorted(e.name for e in os.scandir(self.base)
                               if EXPERIMENT_FOLDER.match(e.name) and e.is_dir(follow_symlinks=False))
            except OSError:
                names = []
            self._folders = [os.path.join(self.base, n) for n in names]
            keep = set(self._folders)
            for docs in (self._metadata, self._hyper):
                for gone in [k for k in docs if os.path.dirname(k) not in keep]:
                    del docs[gone]
                    changed = True
            changed |= bool(names) != bool(self.view.experiments)
        for folder in self._folders:
            mp = os.path.join(folder, METADATA)
            doc = self._metadata.get(mp)
            if doc is None:
                doc = self._metadata[mp] = _Document(mp)
            changed |= doc.poll()
            meta = doc.doc
            if isinstance(meta, dict) and not (isinstance(meta.get("tags"), dict) and "study" in meta["tags"]):
                hp = os.path.join(folder, HYPERPARAMETERS)
                hdoc = self._hyper.get(hp)
                if hdoc is None:
                    hdoc = self._hyper[hp] = _Document(hp)
                changed |= hdoc.poll()
        # Only the newest run of each name is followed live (the lens shows that one).
        for exp in _latest_by_name(self._experiments(with_latest=False)):
            tp = os.path.join(exp.folder, METRICS)
            tail = self._tails.get(tp)
            if tail is None:
                tail = self._tails[tp] = _Tail(tp)
            changed |= tail.poll()
        return changed

    def _experiments(self, with_latest: bool = True) -> list[Experiment]:
        out = []
        for mp, doc in self._metadata.items():
            meta = doc.doc
            if not isinstance(meta, dict):
                continue
            folder = os.path.dirname(mp)
            tags = meta.get("tags") if isinstance(meta.get("tags"), dict) else {}
            start = meta.get("start_timestamp")
            hp = self._hyper.get(os.path.join(folder, HYPERPARAMETERS))
            program = hp.doc.get("program") if hp is not None and isinstance(hp.doc, dict) else None
            exp = Experiment(os.path.basename(folder), folder, str(meta.get("experiment_name") or ""),
                             str(meta.get("status") or "?"),
                             float(start) if isinstance(start, (int, float)) else None, dict(tags),
                             program if isinstance(program, str) else None)
            if with_latest:
                tail = self._tails.get(os.path.join(folder, METRICS))
                exp.latest = dict(tail.last) if tail is not None else {}
            out.append(exp)
        return out


def _copy(t: Trial) -> Trial:
    return Trial(t.number, t.state, t.value, dict(t.params), dict(t.distributions),
                 dict(t.user_attrs), t.start, t.end, t.last_step)


def _latest_by_name(exps: list[Experiment]) -> list[Experiment]:
    """The newest run (not a search trial) of each (name, program file name)."""
    best: dict[tuple[str, str | None], Experiment] = {}
    for e in exps:
        if "study" in e.tags:
            continue  # trials are shown through their study
        key = (e.name, os.path.basename(e.program) if e.program else None)
        cur = best.get(key)
        if cur is None or (e.start or 0) > (cur.start or 0):
            best[key] = e
    return list(best.values())


def latest_run(view: View, network: str, path: str | None = None) -> Experiment | None:
    """The newest run of a network that is not a search trial: of the document's file when
    the run recorded its program (a run that did not is taken for any file)."""
    name = os.path.basename(path) if path else None
    found = [e for e in _latest_by_name(view.experiments) if e.name == network
             and (e.program is None or name is None or os.path.basename(e.program) == name)]
    return max(found, key=lambda e: e.start or 0, default=None)
