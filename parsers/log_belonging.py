"""Whether a trtexec log belongs to the engine the bundle's other files describe (docs/bundles.md, "A trtexec log
with other files").

A log found in a bundle folder, beside an engine or named with exported files is merged into that engine's bundle
(its performance summary, warnings, options and device win over TREx metadata). A log of another run (an H100
MNIST log dropped into an A100 ResNet-18 folder) changed the headline figures without a word. The rule compares
only facts the log prints with the same facts in the other files (layer information JSON, profile JSON, TREx
metadata, times JSON):

* ``GPU``: the log's ``Selected Device`` (``=== Device Information ===``) vs the GPU name of the TREx metadata;
* ``model``: the file name of the log's ``Model``/``ONNX``/``UFF``/``Prototxt`` option vs the TREx build
  metadata's (the name only: one model sits in different folders on two machines);
* ``inputs``: the input names the log prints (its shapes option, ``x=4x1x28x28``, and the bindings trtexec
  created) vs the layer information's ``Bindings`` (every input and output tensor: each log input must be one of
  them) or, without it, the TREx inference shapes (a partial list: they must share a name);
* ``layer names``: the log's layer list or ``--dumpProfile`` table vs the layer information JSON or profile JSON,
  by the loader's rule for a profile and layer information (:func:`trtinspect.parsers.join.leftovers`: each side
  names layers the other lacks, or under half the rows match).

* ``figures``: the log's performance summary (GPU Compute Time mean, median, percentiles, throughput, walltime,
  ...) vs the same figures of the run the other files hold: the TREx profile metadata's summary (both printed by
  trtexec with 6 significant digits: they differ by at most one unit in the 6th digit), else the figures
  recomputed from the ``--exportTimes`` file (:func:`trtinspect.parsers.trtexec_summary.compare`, beyond the
  export's printed precision). A summary-only log of another run (an RTX 3080 CenterNet summary in an A100
  ResNet-18 folder) replaced the run's headline figures; its figures are the only facts it prints.

Any fact that disagrees refuses the bundle (one line naming the log and every fact that differs, exit 2). A log
that shares none of the engine facts (model, inputs, layer names, figures) with the other files cannot be judged: it is
merged with a note saying so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.join import join_profile, leftovers, normalise_name
from trtinspect.parsers.run_facts import SHAPE_KEYS, SHAPE_PLACEHOLDERS, lookup
from trtinspect.parsers.trtexec_summary import printed, printed_apart
from trtinspect.textfmt import short_name

MODEL_KEYS = ("Model", "ONNX", "UFF", "Prototxt")
# the share of the log's named layers that must match the other files' (the loader's MIN_MATCHED_PROFILE_SHARE)
MIN_MATCHED_SHARE = 0.5
_SHAPE_NAME = re.compile(r"(?:^|[,;]|\s)\s*([^=,;\s]+)\s*=")


@dataclass
class OtherFacts:
    """The facts of the bundle's files that are not trtexec logs (snapshot before the logs are applied)."""

    device: str | None = None
    model: str | None = None
    shapes: str | None = None
    bindings: list[str] | None = None
    layer_names: list[str] = field(default_factory=list)      # layer information JSON
    profile_names: list[str] = field(default_factory=list)    # profile JSON
    files: list[Path] = field(default_factory=list)
    summary: pd.DataFrame | None = None      # the TREx profile metadata's performance summary
    summary_file: Path | None = None
    # (what the times file contradicts of the log's summary, the times file): parsers.trtexec_summary.contradiction
    times_off: tuple[str | None, Path] | None = None


def snapshot(device: Mapping[str, Any], model_options: Mapping[str, Any],
             inference_options: Mapping[str, Any], summary: pd.DataFrame | None = None,
             summary_file: Path | None = None) -> OtherFacts:
    """The GPU, model, shapes and performance summary the TREx metadata gave the bundle before any log was
    applied."""
    name = device.get("name")
    has_summary = summary is not None and not summary.empty and summary_file is not None
    return OtherFacts(device=str(name) if name else None, model=lookup(dict(model_options), MODEL_KEYS),
                      shapes=lookup(dict(inference_options), SHAPE_KEYS),
                      summary=summary if has_summary else None, summary_file=summary_file if has_summary else None)


def _figures(summary: pd.DataFrame) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for metric, stat, value in summary[["metric", "stat", "value"]].itertuples(index=False):
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[(str(metric), str(stat))] = float(value)
    return out


def _figure_order(key: tuple[str, str]) -> tuple[bool, int]:
    """GPU compute first, its median and mean first (what a check decides on)."""
    return key[0] != "GPU Compute Time", {"median": 0, "mean": 1}.get(key[1], 2)


def _figure_verdict(lg: Any, other: OtherFacts) -> tuple[bool, str | None]:
    """(whether the log's performance summary could be compared with the run's other figures, what differs)."""
    if lg.summary.empty:
        return False, None
    if other.summary is not None and other.summary_file is not None:
        mine, theirs = _figures(lg.summary), _figures(other.summary)
        common = sorted(set(mine) & set(theirs), key=_figure_order)
        if common:
            off = [k for k in common if printed_apart(mine[k], theirs[k])]
            if not off:
                return True, None
            (metric, stat), more = off[0], len(off) - 1
            return True, (f"performance summary ({metric} {'' if stat == 'value' else stat + ' '}"
                          f"{printed(mine[off[0]])} vs {printed(theirs[off[0]])} in {other.summary_file}"
                          + (f"; {more} more figure(s) differ" if more else "") + ")")
    if other.times_off is not None:
        off_text, times_file = other.times_off
        if off_text is None:
            return True, None
        return True, f"performance summary (recomputed from {times_file} vs the log's: {off_text})"
    return False, None


def _shape_names(text: str | None) -> set[str]:
    if text is None or text.strip().lower() in SHAPE_PLACEHOLDERS:
        return set()
    return {m.group(1) for m in _SHAPE_NAME.finditer(text)}


def _model_file(path: str | None) -> str | None:
    if not path or not path.strip():
        return None
    return re.split(r"[\\/]", path.strip())[-1] or None


def _device_key(name: str) -> str:
    return " ".join(name.lower().split())


def _log_layer_names(lg: Any) -> tuple[list[str], list[str]]:
    """(the layer names of the log's layer list, the names of its --dumpProfile table)."""
    records = lg.layer_records or []
    layers = [str(r.get("Name") if isinstance(r, dict) else r) for r in records]
    profile = [str(n) for n in lg.profile["name"]] if not lg.profile.empty else []
    return layers, profile


def _names_differ(layers: Sequence[str], profile: Sequence[str]) -> str | None:
    """Why ``profile`` names (timed rows) and ``layers`` names cannot be one engine's, by the loader's rule."""
    if not layers or not profile:
        return None
    _, unmatched_profile, unmatched_layers = join_profile(pd.DataFrame({"name": list(layers)}),
                                                          pd.DataFrame({"name": list(profile)}))
    rest = leftovers(unmatched_profile, unmatched_layers)
    matched = len(profile) - len(rest.foreign)
    if matched < MIN_MATCHED_SHARE * len(profile) or rest.two_engines():
        example = f" (e.g. {short_name(rest.foreign[0])!r})" if rest.foreign else ""
        return f"{matched} of {len(profile)} names match{example}"
    return None


def _layer_verdict(lg: Any, other: OtherFacts) -> tuple[bool, str | None]:
    """(whether layer names could be compared, what differs)."""
    log_layers, log_profile = _log_layer_names(lg)
    checks = [(other.layer_names, log_profile, "its --dumpProfile table vs the layer information"),
              (log_layers, other.profile_names, "the profile JSON vs its layer list"),
              (other.layer_names, log_layers, "its layer list vs the layer information")]
    compared = False
    for layers, profile, what in checks:
        if not layers or not profile:
            continue
        compared = True
        if what.startswith("its layer list"):   # two layer lists: one engine's name the same layers
            a = {normalise_name(n) for n in layers}
            b = {normalise_name(n) for n in profile}
            if not (a <= b or b <= a):
                return True, f"layer names ({len(b - a)} of {len(b)} of its layers are not in the layer information)"
            continue
        why = _names_differ(layers, profile)
        if why is not None:
            return True, f"layer names ({what}: {why})"
    return compared, None


def _input_verdict(lg: Any, other: OtherFacts) -> tuple[bool, str | None]:
    names = _shape_names(lookup(lg.inference_options or {}, SHAPE_KEYS)) | set(lg.input_bindings or {})
    if not names:
        return False, None
    shown = ", ".join(sorted(names))
    if other.bindings:
        missing = sorted(names - set(other.bindings))
        if missing:
            return True, (f"inputs (log: {shown}; the layer information's tensors: "
                          f"{', '.join(other.bindings[:4])}{', ...' if len(other.bindings) > 4 else ''})")
        return True, None
    theirs = _shape_names(other.shapes)
    if not theirs:
        return False, None
    if not names & theirs:
        return True, f"inputs (log: {shown}; the metadata's: {', '.join(sorted(theirs))})"
    return True, None


def check_log(path: Path, lg: Any, other: OtherFacts) -> str | None:
    """Refuse ``lg`` when a fact it prints disagrees with the other files (one line, exit 2); else None when it
    was judged on an engine fact, or the note to add when it could not be."""
    differ: list[str] = []
    judged: list[str] = []
    log_device = (lg.device or {}).get("name")
    if log_device and other.device:
        judged.append("GPU")
        if _device_key(str(log_device)) != _device_key(other.device):
            differ.append(f"GPU ({log_device} vs {other.device})")
    log_model = _model_file(lookup(lg.model_options or {}, MODEL_KEYS))
    their_model = _model_file(other.model)
    if log_model and their_model:
        judged.append("model")
        if log_model != their_model:
            differ.append(f"model ({log_model} vs {their_model})")
    for what, (compared, why) in (("inputs", _input_verdict(lg, other)), ("layer names", _layer_verdict(lg, other)),
                                  ("figures", _figure_verdict(lg, other))):
        if compared:
            judged.append(what)
        if why is not None:
            differ.append(why)
    files = ", ".join(p.name for p in other.files[:2]) + (", ..." if len(other.files) > 2 else "")
    if differ:   # figures alone differ: maybe another run of this engine
        only_figures = all(d.startswith("performance summary") for d in differ)
        raise TrtInspectError(
            f"this trtexec log is not of the {'run' if only_figures else 'engine'} of {files}: "
            f"{'; '.join(differ)}", path=path,
            hint="move the log out of the folder or pass the engine's files without it; a log of this engine's "
                 "own run prints its GPU, model, inputs and the run's own figures")
    if set(judged) - {"GPU"}:
        return None
    what = "only its GPU could be compared" if judged else "it prints none of their facts"
    return (f"{path.name}: merged with {files} without knowing it is this engine's run: {what} (rule: GPU, "
            "model file, input names, layer names, performance summary figures; docs/bundles.md)")


def check_logs(logs: Iterable[tuple[Path, Any]], other: OtherFacts) -> list[str]:
    """:func:`check_log` for every log; the notes for the logs that could not be judged."""
    return [note for p, lg in logs if (note := check_log(p, lg, other)) is not None]
