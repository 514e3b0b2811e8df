#!/usr/bin/env python3
"""Differential oracle: answers retort's revision-graph questions with the real Alembic.

Input (stdin): one JSON case; with --jsonl, one case per line (one answer per line, flushed):

    {"revisions": [{"id": "a", "down": [], "deps": [], "labels": []}, ...],
     "ops": [{"op": "upgrade" | "downgrade" | "stamp" | "resolve" | "resolve_one",
              "rows": ["..."], "target": "..." (stamp: "targets": [..] also accepted),
              "purge": false (stamp only)}, ...]}

The revisions are loaded into Alembic's RevisionMap in the given (load) order.  For every op
the output has one result object, in op order:

    {"ok": true, "revisions": [ids in run order],
     "steps": [{"kind": "upgrade" | "downgrade" | "stamp", "revision": id | null,
                "from": [...], "to": [...],              # *_revisions_no_deps
                "changes": [["insert", x] | ["delete", x] | ["update", from, to]],
                "rows_after": [sorted rows],
                "set_order": bool}],                      # which row Alembic picked came
                                                          # from a Python set (§11)
     "end_rows": [sorted rows]}
    {"ok": false, "error": "<CLI text>", "detail": "<map-level text>",
     "error_type": "CommandError" | "RevisionError" | ..., "crash": bool}

"crash" is true when Alembic raised a bare Python exception (KeyError, AssertionError, ...)
rather than a RevisionError/CommandError: Alembic has no defined behaviour there.

Plans come from the real ScriptDirectory code paths (`_upgrade_revs`, `_downgrade_revs`,
`_stamp_revs`: upgrade = reversed(iterate_revisions(target, rows, implicit_base=True)),
downgrade = iterate_revisions(rows, target, select_for_downgrade=True)); version-table changes
from the real `HeadMaintainer.update_to_step` over a fake migration context whose
`impl._exec` records the INSERT/UPDATE/DELETE statements.

The case-level output also carries "multi_dep": the revisions with two or more normalised
dependencies, whose `_normalized_down_revisions` order (and so plan order) comes from a set.

Run with a fixed PYTHONHASHSEED for reproducible set orders.  With --declared-order, the three
set iterations of spec §11 are replaced by declared order (see `pin_declared_order`), which makes
Alembic's answer deterministic and equal to the fixed choice retort documents.
"""

from __future__ import annotations

import json
import re
import sys
import traceback

import sqlalchemy as sa

from alembic import util
from alembic.runtime.migration import HeadMaintainer, MigrationStep, RevisionStep, StampStep
from alembic.script.base import ScriptDirectory
from alembic.script.revision import Revision, RevisionError, RevisionMap


def _upgrade():
    return None


def _downgrade():
    return None


class _Module:
    upgrade = staticmethod(_upgrade)
    downgrade = staticmethod(_downgrade)


class FakeScript(Revision):
    """A Revision that RevisionStep accepts as a Script (it reads `.module` and `.doc`)."""

    module = _Module
    doc = None


class FakeImpl:
    def __init__(self) -> None:
        self.changes: list[list[str]] = []

    def _exec(self, statement):
        sql = str(statement.compile(compile_kwargs={"literal_binds": True}))
        quoted = re.findall(r"'((?:[^']|'')*)'", sql)
        quoted = [q.replace("''", "'") for q in quoted]
        head = sql.lstrip().split(None, 1)[0].upper()
        if head == "INSERT":
            self.changes.append(["insert", quoted[0]])
        elif head == "DELETE":
            self.changes.append(["delete", quoted[0]])
        elif head == "UPDATE":
            # UPDATE alembic_version SET version_num='to' WHERE ... = 'from'
            self.changes.append(["update", quoted[1], quoted[0]])
        else:  # pragma: no cover
            raise AssertionError("unexpected statement %r" % sql)
        return None  # no rowcount: HeadMaintainer skips its online row-count check


class FakeContext:
    """What HeadMaintainer touches: impl._exec, _version, as_sql, dialect, version_table."""

    as_sql = True
    version_table = "alembic_version"

    def __init__(self) -> None:
        metadata = sa.MetaData()
        self._version = sa.Table(
            "alembic_version",
            metadata,
            sa.Column("version_num", sa.String(32), nullable=False),
        )
        self.impl = FakeImpl()

        class _Dialect:
            supports_sane_rowcount = False

        self.dialect = _Dialect()


def pin_declared_order() -> None:
    """Replaces the three places where Alembic iterates a Python set (spec §11) with declared
    order, which is the fixed choice retort documents:

    * `_normalized_resolved_dependencies`: the surviving dependencies in depends_on order;
    * `RevisionStep.merge_branch_idents`: the parents to DELETE/UPDATE in normalised order;
    * `RevisionStep._unmerge_to_revisions`: the parents to INSERT/UPDATE in normalised order.

    Everything else runs unchanged.  Used with --declared-order.
    """

    original_normalize = RevisionMap._normalize_depends_on

    def _normalize_depends_on(self, revisions, map_):
        original_normalize(self, revisions, map_)
        for revision in revisions:
            kept = set(revision._normalized_resolved_dependencies)
            revision._normalized_resolved_dependencies = util.dedupe_tuple(
                tuple(d for d in revision._resolved_dependencies if d in kept)
            )

    def _ancestor_ids(step, heads):
        return {
            r.revision
            for r in step.revision_map._get_ancestor_nodes(
                step.revision_map.get_revisions(heads), check=False
            )
        }

    def merge_branch_idents(self, heads):
        other_heads = set(heads).difference(self.from_revisions)
        if other_heads:
            ancestors = _ancestor_ids(self, other_heads)
            from_revisions = [r for r in self.from_revisions if r not in ancestors]
        else:
            from_revisions = list(self.from_revisions)
        return (list(from_revisions[0:-1]), from_revisions[-1], self.to_revisions[0])

    def _unmerge_to_revisions(self, heads):
        other_heads = set(heads).difference([self.revision.revision])
        if other_heads:
            ancestors = _ancestor_ids(self, other_heads)
        else:
            ancestors = {
                r.revision
                for to_revision in self.to_revisions
                for r in self.revision_map._get_ancestor_nodes(
                    self.revision_map.get_revisions(to_revision), check=False
                )
                if r.revision != to_revision
            }
        return tuple(r for r in self.to_revisions if r not in ancestors)

    RevisionMap._normalize_depends_on = _normalize_depends_on
    RevisionStep.merge_branch_idents = merge_branch_idents
    RevisionStep._unmerge_to_revisions = _unmerge_to_revisions


def build_map(revisions: list[dict]) -> RevisionMap:
    scripts = [
        FakeScript(
            r["id"],
            tuple(r.get("down") or ()) or None,
            tuple(r.get("deps") or ()) or None,
            tuple(r.get("labels") or ()) or None,
        )
        for r in revisions
    ]
    return RevisionMap(lambda: scripts)


def script_directory(rmap: RevisionMap) -> ScriptDirectory:
    sd = ScriptDirectory.__new__(ScriptDirectory)
    sd.revision_map = rmap
    return sd


def error_result(exc: BaseException) -> dict:
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    crash = not isinstance(exc, (RevisionError, util.CommandError))
    return {
        "ok": False,
        "error": str(exc) if not isinstance(exc, KeyError) else "KeyError(%s)" % exc,
        "detail": str(cause),
        "error_type": type(exc).__name__,
        "cause_type": type(cause).__name__,
        "crash": crash,
    }


def _set_order_step(step, heads: set[str]) -> bool:
    """Whether update_to_step will pick rows from a Python set for this step (§11)."""
    if not isinstance(step, RevisionStep):
        return False
    if step.should_delete_branch(heads) or step.should_create_branch(heads):
        return False
    if step.should_merge_branches(heads):
        other = set(heads).difference(step.from_revisions)
        return bool(other) and len(step.from_revisions) > 1
    if step.should_unmerge_branches(heads):
        return len(step._unmerge_to_revisions(heads)) > 1
    return False


def run_steps(steps, rows: list[str]) -> dict:
    context = FakeContext()
    maintainer = HeadMaintainer(context, rows)
    out_steps = []
    for step in steps:
        before = len(context.impl.changes)
        try:
            set_order = _set_order_step(step, set(maintainer.heads))
        except Exception:  # noqa: BLE001 - update_to_step below reports the failure
            set_order = False
        maintainer.update_to_step(step)
        if isinstance(step, RevisionStep):
            kind = "upgrade" if step.is_upgrade else "downgrade"
            revision = step.revision.revision
        else:
            kind = "stamp"
            revision = None
        out_steps.append(
            {
                "kind": kind,
                "revision": revision,
                "stamp_up": bool(step.is_upgrade) if isinstance(step, StampStep) else None,
                "from": list(step.from_revisions_no_deps),
                "to": list(step.to_revisions_no_deps),
                "changes": context.impl.changes[before:],
                "rows_after": sorted(maintainer.heads),
                "set_order": set_order,
            }
        )
    return {
        "ok": True,
        "revisions": [s["revision"] for s in out_steps if s["revision"] is not None],
        "steps": out_steps,
        "end_rows": sorted(maintainer.heads),
    }


def _ident(item):
    if item is None:
        return None
    if isinstance(item, Revision):
        return item.revision
    return str(item)


def run_op(rmap: RevisionMap, op: dict) -> dict:
    sd = script_directory(rmap)
    kind = op["op"]
    rows = tuple(op.get("rows") or ())
    target = op.get("target")
    try:
        if kind == "upgrade":
            steps = sd._upgrade_revs(target, rows)
            return run_steps(steps, list(rows))
        if kind == "downgrade":
            steps = sd._downgrade_revs(target, rows)
            return run_steps(steps, list(rows))
        if kind == "stamp":
            targets = op.get("targets")
            if targets is None:
                targets = [target] if target is not None else []
            start = list(rows)
            if op.get("purge"):
                start = []
            steps = sd._stamp_revs(util.to_tuple(targets), tuple(start))
            result = run_steps(steps, start)
            if op.get("purge") and rows:
                result["purged"] = sorted(rows)
            return result
        if kind == "resolve":
            return {"ok": True, "resolved": [_ident(r) for r in rmap.get_revisions(target)]}
        if kind == "resolve_one":
            return {"ok": True, "resolved": _ident(rmap.get_revision(target))}
        raise ValueError("unknown op %r" % kind)
    except Exception as exc:  # noqa: BLE001 - every failure is an answer here
        return error_result(exc)


def run_case(case: dict) -> dict:
    try:
        rmap = build_map(case["revisions"])
        rmap.heads  # the map is built lazily; build it now
        multi_dep = sorted(
            r.revision
            for r in rmap._revision_map.values()
            if r is not None and len(r._normalized_resolved_dependencies) >= 2
        )
    except Exception as exc:  # noqa: BLE001
        return {"map_error": error_result(exc), "results": []}
    return {
        "multi_dep": multi_dep,
        "heads": list(rmap.heads),
        "real_heads": list(rmap._real_heads),
        "bases": list(rmap.bases),
        "results": [run_op(rmap, op) for op in case.get("ops", [])],
    }


def main(argv: list[str]) -> int:
    import warnings

    warnings.simplefilter("ignore")
    if "--declared-order" in argv:
        pin_declared_order()
    if "--jsonl" in argv:
        # One case per input line, one answer per output line, flushed as it goes, so that a
        # caller can keep one oracle process and talk to it case by case.
        for line in sys.stdin:
            if not line.strip():
                continue
            sys.stdout.write(json.dumps(answer(json.loads(line)), separators=(",", ":")) + "\n")
            sys.stdout.flush()
        return 0
    json.dump(answer(json.load(sys.stdin)), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def answer(case: dict) -> dict:
    try:
        return run_case(case)
    except Exception:  # noqa: BLE001 - a bug of this oracle, reported to the caller
        return {"oracle_error": traceback.format_exc(), "results": []}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
