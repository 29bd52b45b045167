"""GENERATED benchmark engines: a real ResNet-18 bundle replicated to N layers (default 50,000).

Every benchmark that needs a big engine (report, lint, layers, diff, app) builds it here, at run time, in a
temporary folder; nothing generated is checked in. Everything written is labelled generated: the folder and
every file name start with ``generated-`` (``generated-qat-50000.engine.graph.json`` ...).

How copy ``k`` (k = 0, 1, 2, ...) of the real TREx A100 bundle ``sample_engines/resnet18-a100/<variant>`` is made:

* **layer names / ONNX source nodes / weights** (``rename``): auto-numbered nodes ``Op_N`` and
  ``(Unnamed Layer* N)`` become ``Op_{N + 1000 k}`` (they stay auto-numbered, so logic that reads exporter
  numbering runs as on the real engines). With ``names="realistic"`` (the default) every part of a fused name
  then carries a block suffix the way exporters name repeated blocks: `` [b{k}]`` on odd copies,
  `` (b{k})`` on even ones (``conv1.weight [b3] + QuantizeLinear_3007 [b3] + Conv_3009 [b3]``), so names have
  the bracketed and parenthesised suffixes that real big engines have; with ``names="plain"`` other parts
  (initializers such as ``layer1.0.conv1.weight``) become ``r{k}.<name>`` and nothing is suffixed.
  ``Reformatting CopyNode for ... to <layer>`` follows the renamed layer. Copy 0 keeps the real names. Every
  layer name and source node is unique over the engine.
* **tensor names**: ``<name> #k``; copies are chained -- copy k's network input (``input.1``) is copy k-1's
  network output -- so the engine is one connected graph and graph walks follow real edges. With
  ``names="realistic"`` the first layer of every copy also reads the network input binding ``input.1`` by
  its real name (one binding tensor shared by name by about 1,400 layers, like an attention mask or position
  ids read by every block of a transformer).
* **profile** (``--exportProfile``): the real per-layer records, renamed exactly like their layers (joined by
  name), real ``timeMs`` / ``averageMs`` / ``medianMs``; ``percentage`` recomputed over the whole engine.
* **timing / metadata**: the real ``timing.json``, ``build.metadata.json``, ``profile.metadata.json`` and
  ``metadata.json`` copied unchanged (device, TensorRT version, per-iteration times are the real ones).
* The engine is cut at exactly ``n_layers`` layers (the last copy may be partial). The graph is written with
  ``indent=1`` like trtexec's multi-line export.

The same ``k`` maps the same real node to the same generated name in every variant, so copy k of ``qat``
corresponds to copy k of ``qat-residual`` (what ``diff`` aligns).

    python benchmarks/generated_engine.py OUT_DIR [--layers 50000] [--variant qat]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESNET = REPO / "sample_engines" / "resnet18-a100"
VARIANTS = ("fp32", "fp16", "qat", "qat-residual", "qat-residual-qgap")
OFFSET = 1000  # node numbers of one real copy stay below this
COPIED = ("timing.json", "build.metadata.json", "profile.metadata.json", "metadata.json")
_NUM = re.compile(r"(_|Unnamed Layer\* )(\d+)")
_COPY = re.compile(r"^(Reformatting CopyNode for (?:Input|Output) Tensor \d+ to )(.+)$", re.S)


@dataclasses.dataclass(frozen=True)
class GeneratedEngine:
    """Paths and sizes of one generated engine folder."""

    folder: Path
    graph: Path
    profile: Path
    variant: str
    n_layers: int
    copies: int

    @property
    def graph_mib(self) -> float:
        return self.graph.stat().st_size / 1024**2


NAME_STYLES = ("realistic", "plain")


def _node(part: str, k: int, names: str) -> str:
    if _NUM.search(part):
        part = _NUM.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + OFFSET * k}", part)
        return part if names == "plain" else part + _suffix(k)
    return f"r{k}.{part}" if names == "plain" else part + _suffix(k)


def _suffix(k: int) -> str:
    return f" [b{k}]" if k % 2 else f" (b{k})"


def rename(name: str, k: int, names: str = "realistic") -> str:
    """The name of real layer ``name`` in copy ``k`` (copy 0 keeps the real names)."""
    if k == 0:
        return name
    m = _COPY.match(name)
    if m:
        return m.group(1) + rename(m.group(2), k, names)
    return " + ".join(_node(p, k, names) for p in name.split(" + "))


def _tensor(name: str, k: int, first_in: str, last_out: str) -> str:
    if k == 0:
        return name
    if name == first_in:  # chain: copy k reads copy k-1's network output
        return _tensor(last_out, k - 1, first_in, last_out)
    return f"{name} #{k}"


def _real_files(variant: str) -> tuple[str, Path]:
    folder = RESNET / variant
    graph = next(folder.glob("*.engine.graph.json"), None)
    if graph is None:
        raise FileNotFoundError(f"no real graph.json in {folder}")
    return graph.name.removesuffix(".graph.json"), folder


def generate(out_dir: Path, n_layers: int = 50_000, variant: str = "qat", *, indent: int | None = 1,
             names: str = "realistic") -> GeneratedEngine:
    """Write a generated ``n_layers``-layer engine built from real ``variant`` into ``out_dir/generated-...``."""
    if names not in NAME_STYLES:
        raise ValueError(f"names must be one of {NAME_STYLES}")
    stem, real = _real_files(variant)
    graph = json.loads((real / f"{stem}.graph.json").read_text())
    profile = json.loads((real / f"{stem}.profile.json").read_text())
    base_layers: list[dict[str, Any]] = graph["Layers"]
    first_in, last_out = graph["Bindings"][0], graph["Bindings"][-1]
    by_name = {r["name"]: r for r in profile[1:]}
    layers: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    k = 0
    while len(layers) < n_layers:
        for j, layer in enumerate(base_layers):
            if len(layers) == n_layers:
                break
            new = dict(layer, Name=rename(layer["Name"], k, names))
            for key in ("Inputs", "Outputs"):
                if isinstance(layer.get(key), list):
                    new[key] = [dict(t, Name=_tensor(t["Name"], k, first_in, last_out)) for t in layer[key]]
            if names == "realistic" and k > 0 and j == 0 and new.get("Inputs"):
                new["Inputs"] = [*new["Inputs"], dict(layer["Inputs"][0], Name=first_in)]  # shared binding
            layers.append(new)
            rec = by_name.get(layer["Name"])
            if rec is not None:
                records.append(dict(rec, name=new["Name"]))
        k += 1
    if len({la["Name"] for la in layers}) != len(layers):
        raise AssertionError("generated layer names are not unique")
    total = sum(r["timeMs"] for r in records) or 1.0
    for r in records:
        r["percentage"] = 100.0 * r["timeMs"] / total
    # network output: the last generated layer's first output
    bindings = [first_in, layers[-1]["Outputs"][0]["Name"]] if layers[-1].get("Outputs") else [first_in]
    name = f"generated-{variant}-{n_layers}" + ("" if names == "realistic" else "-plain")
    folder = out_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    out = GeneratedEngine(folder, folder / f"{name}.engine.graph.json", folder / f"{name}.engine.profile.json",
                          variant, n_layers, k)
    out.graph.write_text(json.dumps({"Layers": layers, "Bindings": bindings}, indent=indent))
    out.profile.write_text(json.dumps([profile[0], *records], indent=indent))
    for suffix in COPIED:
        src = real / f"{stem}.{suffix}"
        if src.exists():
            shutil.copy(src, folder / f"{name}.engine.{suffix}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--variant", choices=VARIANTS, default="qat")
    ap.add_argument("--names", choices=NAME_STYLES, default="realistic")
    args = ap.parse_args()
    eng = generate(args.out_dir, args.layers, args.variant, names=args.names)
    print(f"{eng.folder}: {eng.n_layers} layers ({eng.copies} copies of {eng.variant}), "
          f"graph {eng.graph_mib:.1f} MiB")


if __name__ == "__main__":
    main()
