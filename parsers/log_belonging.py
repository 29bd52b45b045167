"""Whether a trtexec log belongs to the engine the bundle's other files describe (docs/bundles.md, "A trtexec log
with other files").

A log found in a bundle folder, beside an engine or named with exported files is merged into that engine's bundle
(its performance summary, warnings, options and device win over TREx metadata). A log of another run (an H100
MNIST log dropped into an A100 ResNet-18 folder) changed the headline figures without a word. The rule compares
only facts the log prints with the same facts in the other files (layer information JSON, profile JSON, TREx
metadata); never a figure, which may differ between two runs of one engine:

* ``GPU``: the log's ``Selected Device`` (``=== Device Information ===``) vs the GPU name of the TREx metadata;
* ``model``: the file name of the log's ``Model``/``ONNX``/``UFF``/``Prototxt`` option vs the TREx build
  metadata's (the name only: one model sits in different folders on two machines);
* ``inputs``: the input names the log prints (its shapes option, ``x=4x1x28x28``, and the bindings trtexec
  created) vs the layer information's ``Bindings`` (every input and output tensor: each log input must be one of
  them) or, without it, the TREx inference shapes (a partial list: they must share a name);
* ``layer names``: the log's layer list or ``--dumpProfile`` table vs the layer information JSON or profile JSON,
  by the loader's rule for a profile and layer information (:func:`trtinspect.parsers.join.leftovers`: each side
  names layers the other lacks, or under half the rows match).

Any fact that disagrees refuses the bundle (one line naming the log and every fact that differs, exit 2). A log
that shares none of the engine facts (model, inputs, layer names) with the other files cannot be judged: it is
merged with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.join import join_profile, leftovers, normalise_name
from trtinspect.parsers.run_facts import SHAPE_KEYS, SHAPE_PLACEHOLDERS, lookup
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


def snapshot(device: Mapping[str, Any], model_options: Mapping[str, Any],
             inference_options: Mapping[str, Any]) -> OtherFacts:
    """The GPU, model and shapes the TREx metadata gave the bundle before any log was applied."""
    name = device.get("name")
    return OtherFacts(device=str(name) if name else None, model=lookup(dict(model_options), MODEL_KEYS),
                      shapes=lookup(dict(inference_options), SHAPE_KEYS))


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
    for what, (compared, why) in (("inputs", _input_verdict(lg, other)), ("layer names", _layer_verdict(lg, other))):
        if compared:
            judged.append(what)
        if why is not None:
            differ.append(why)
    files = ", ".join(p.name for p in other.files[:2]) + (", ..." if len(other.files) > 2 else "")
    if differ:
        raise TrtInspectError(
            f"this trtexec log is not of the engine of {files}: {'; '.join(differ)}", path=path,
            hint="move the log out of the folder or pass the engine's files without it; a log of this engine's "
                 "own run prints its GPU, model and inputs")
    if set(judged) - {"GPU"}:
        return None
    what = "only its GPU could be compared" if judged else "it prints none of their facts"
    return (f"{path.name}: merged with {files} without knowing it is this engine's run: {what} (rule: GPU, "
            "model file, input names, layer names; docs/bundles.md)")


def check_logs(logs: Iterable[tuple[Path, Any]], other: OtherFacts) -> list[str]:
    """:func:`check_log` for every log; the notes for the logs that could not be judged."""
    return [note for p, lg in logs if (note := check_log(p, lg, other)) is not None]
