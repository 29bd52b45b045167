"""The lint rules, declared as data.

Each :class:`Rule` names its id, default severity, title, what it checks, the evidence keys its findings
carry, the mitigation to try, a reference, and the pure check function (in ``rules_*.py``) that turns a
:class:`~trtinspect.inspector.rules_base.LintContext` into findings. ``docs/lint.md`` documents every rule
(a test checks each id appears there).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trtinspect.inspector import (
    rules_build,
    rules_causes,
    rules_dla,
    rules_facts,
    rules_float_output,
    rules_fusion,
    rules_kernels,
    rules_precision,
    rules_run,
    rules_timing,
)
from trtinspect.inspector.rules_base import CheckFn

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

TRT_BEST_PRACTICES = "https://docs.nvidia.com/deeplearning/tensorrt/latest/performance/best-practices.html"
TRT_QUANTIZATION = (
    "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-with-quantized-types.html"
)
TRT_IO_FORMATS = (
    "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/"
    "advanced.html#reformat-free-network-i-o-tensors"
)
DL_PERF_CONV = (
    "https://docs.nvidia.com/deeplearning/performance/dl-performance-convolutional/index.html"
    "#tensor-core-shape"
)
# How a warning becomes an error (lint.ERROR_SAVING_SHARE), said in `--list-rules` and the rule table.
ESCALATION = "a proven finding whose estimated saving is >= 10% of the per-layer time is an error"
TRTEXEC_DOC = "https://docs.nvidia.com/deeplearning/tensorrt/latest/reference/command-line-programs.html"
TRT_DLA = "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-with-dla.html"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # default severity of its findings ("info" | "warning" | "error")
    title: str
    checks: str  # what it looks at, in one or two sentences
    evidence: tuple[str, ...]  # keys of the finding's evidence dict
    mitigation: str
    reference: str
    check: CheckFn
    needs_profile: bool = False
    # Every severity its findings can have (default: only ``severity``) and, when more than one, how the
    # severity of a finding is decided (shown by `lint --list-rules`; tests check findings stay in range).
    severities: tuple[str, ...] = ()
    severity_rule: str = ""
    # What its cost number is (one of rules_base.COST_KINDS) and how it is computed, unless a finding says.
    cost_kind: str = "layer time"
    cost_method: str = "the per-layer profiled time of the layers named (an upper bound on any saving)"


RULES: tuple[Rule, ...] = (
    Rule(
        id="unfused-conv-epilogue",
        severity="warning",
        title="Convolution epilogue (add / activation / BN / scale) not fused",
        checks=(
            "A Conv/ConvTranspose/GEMM layer whose output reaches a separate ElementWise, Activation, Scale, "
            "PointWise (PWN) or add/relu/BN layer, directly or through reformat and Q/DQ layers, while the "
            "convolution has no activation fused yet. Proven through tensor edges with graph JSON; inferred "
            "from execution order and names without it."
        ),
        evidence=(
            "pattern",
            "chain",
            "convolutions",
            "epilogue_layer",
            "epilogue_ops",
            "between",
            "edges",
            "source_nodes",
            "epilogue_inputs",
            "conv_outputs",
            "other_consumers",
        ),
        mitigation=(
            "Make the pattern fusable: in Q/DQ networks quantize both inputs of the residual Add (put "
            "Q/DQ on the skip branch too, as TensorRT's Q/DQ placement guide recommends) and do not put "
            "Q/DQ between the convolution and its Add/activation; keep both Add inputs in the same "
            "precision; avoid exporting the conv output as a network output or reading it elsewhere."
        ),
        reference=f"{TRT_QUANTIZATION}#qdq-placement-recommendations",
        check=rules_fusion.check,
        severities=("warning", "error"),
        severity_rule=ESCALATION,
        cost_kind="estimated saving",
        cost_method=(
            "the time of the separate epilogue layer and of the reformat/Q/DQ layers between (they go "
            "away when fused; the small extra cost of the epilogue inside the fused convolution is not "
            "subtracted)"
        ),
    ),
    Rule(
        id="residual-not-quantized",
        severity="warning",
        title="Residual branch not quantized (Q/DQ network)",
        checks=(
            "In an engine with graph edges: INT8 convolutions writing FP16/FP32 because the residual (skip) "
            "input of their fused Add is float, or because their output is the float residual input of a "
            "later fused Add, plus the standalone Quantize layers that re-quantize those outputs, plus INT8 "
            "fallbacks (float layers between INT8 layers) whose output, or the tensor a reformat/Quantize "
            "after them reads, is also the unquantized residual input of a fused Add (e.g. a MaxPool feeding "
            "the first residual block: with the skip branch quantized TensorRT fuses it into the convolution "
            "in INT8). One finding for the whole engine; it absorbs the int8-float-output, qdq-standalone, "
            "reformat-copy, int8-fallback and no-tensor-cores findings on those layers (kept as "
            "evidence.absorbed; an INT8 convolution writing float for a float reader is explained by it)."
        ),
        evidence=("convolutions", "quantize_layers", "fallbacks", "absorbed"),
        mitigation=(
            "Quantize the residual branch: put Q/DQ on the skip-connection input of every Add (both Add "
            "inputs quantized), so TensorRT fuses Conv+Add in INT8, writes INT8 and drops the standalone "
            "Quantize layers (TensorRT's Q/DQ placement recommendations)."
        ),
        reference=f"{TRT_QUANTIZATION}#qdq-placement-recommendations",
        check=rules_causes.check_residual_not_quantized,
        severities=("warning", "error"),
        severity_rule=ESCALATION,
        cost_kind="estimated saving",
        cost_method=rules_facts.RESIDUAL_COST,
    ),
    Rule(
        id="input-path",
        severity="warning",
        title="Data movement on the input path",
        checks=(
            "Layers between the network input and the first compute layer that only move data (input "
            "Shuffle/transpose, explicit Padding, reformat, Quantize of the input), walked through tensor "
            "edges (execution order without them). One finding naming them; it absorbs reformat-copy, "
            "qdq-standalone and explicit-padding findings on them."
        ),
        evidence=("layers", "edges", "absorbed"),
        mitigation=(
            "Feed the input in the layout/precision the first convolution reads (--inputIOFormats), remove "
            "input transposes in the export, fold explicit padding into the convolution/pooling."
        ),
        reference=TRT_IO_FORMATS,
        check=rules_causes.check_input_path,
        severities=("warning", "error"),
        severity_rule=(
            "an error when proven, its estimated saving is >= 10% of the per-layer time and it holds an input "
            "transpose or explicit padding the model can drop; made only of an input reformat/Quantize (the "
            "application's input format) it stays a warning"
        ),
        cost_kind="estimated saving",
        cost_method=(
            "the layers' own time (each goes away when the input arrives in the wanted layout/precision "
            "or the padding is folded into the next layer)"
        ),
    ),
    Rule(
        id="explicit-padding",
        severity="warning",
        title="Explicit padding layer not folded into the next layer",
        checks=(
            "Padding layers (layer type Padding/Pad, or a Slice named as a pad) that run their own kernel. "
            "Those on the input path are part of the input-path finding; the others are one finding."
        ),
        evidence=("layer_type", "input", "output", "readers", "attributes"),
        mitigation=(
            "Fold the Pad into the padding attribute of the convolution/pooling that reads it in the "
            "exported model (for max pooling, zero padding equals the pooling's own padding only when its "
            "input is non-negative, e.g. after a ReLU)."
        ),
        reference=TRT_BEST_PRACTICES,
        check=rules_causes.check_explicit_padding,
        severities=("warning", "error"),
        severity_rule=ESCALATION,
        cost_kind="estimated saving",
        cost_method=(
            "the Pad layer's own time (it goes away when folded into the next layer's padding; the extra "
            "padding work inside that layer is not subtracted)"
        ),
    ),
    Rule(
        id="reformat-copy",
        severity="warning",
        title="Reformat copy layer (precision or layout conversion)",
        checks=(
            "Every Reformat / 'Reformatting CopyNode' / reformatter layer that runs a kernel (NoOp reformats "
            "are skipped: TensorRT elides them). Classified from its input/output formats as a precision "
            "conversion, a layout conversion or both, with the layer it serves."
        ),
        evidence=(
            "conversion",
            "serves",
            "input",
            "output",
            "input_format",
            "output_format",
            "producers",
            "consumers",
            "layer_type",
        ),
        mitigation=(
            "At network I/O, declare the formats the first/last layers want (trtexec --inputIOFormats / "
            "--outputIOFormats, IBuilderConfig I/O formats). Between layers, keep neighbours in one "
            "precision (quantize or run FP16 consistently) and use channel counts that are multiples of "
            "8 (FP16) or 32 (INT8) so neighbours can share a vectorised layout."
        ),
        reference=TRT_IO_FORMATS,
        check=rules_precision.check_reformats,
        severities=("warning", "error"),
        severity_rule=ESCALATION,
        cost_kind="estimated saving",
        cost_method=(
            "the reformat's own time (it goes away when its producer and reader agree on the format)"
        ),
    ),
    Rule(
        id="qdq-standalone",
        severity="warning",
        title="Quantize/Dequantize layer not fused into a neighbour",
        checks=(
            "Layers with Origin QDQ, Quantize/Dequantize layer types, or names made only of Q/DQ nodes, "
            "that run as their own kernel instead of being folded into the producer's output or the "
            "consumer's input. A Dequantize writing a network output is one finding with the reformat serving it "
            "(cost: their own time, an upper bound, not a saving)."
        ),
        evidence=("operation", "input", "output", "origin", "producers", "consumers", "float_readers"),
        mitigation=(
            "Quantize tensors where they are produced and consumed in INT8: add Q/DQ on residual "
            "branches so the producer can write INT8, quantize pooling layers' inputs, and avoid reading "
            "the same tensor both quantized and unquantized. A Quantize of the network input remains "
            "unless the application feeds INT8 (--inputIOFormats=int8:...). A Dequantize at a network output: "
            "drop the Q/DQ pair at the end of the model, or declare the output format (--outputIOFormats)."
        ),
        reference=f"{TRT_QUANTIZATION}#qdq-placement-recommendations",
        check=rules_precision.check_qdq,
        severities=("info", "warning", "error"),
        severity_rule=(
            "info for a Quantize of the network input (only the application can feed INT8); otherwise "
            + ESCALATION
        ),
        cost_kind="estimated saving",
        cost_method=(
            "the Q/DQ layer's own time (it goes away when folded into a neighbour)"
        ),
    ),
    Rule(
        id="int8-fallback",
        severity="warning",
        title="Layer fell back to FP16/FP32 between INT8 layers",
        checks=(
            "In an engine built with INT8 allowed (build options or INT8 layers present), compute layers "
            "running FP16/FP32/TF32/BF16 with INT8 layers both upstream and downstream (through reformat and "
            "Q/DQ layers). Needs layer precisions (graph JSON)."
        ),
        evidence=(
            "precision",
            "output_precision",
            "input_format",
            "output_format",
            "layer_type",
            "tactic",
            "int8_allowed_because",
            "int8_producers",
            "int8_consumers",
            "conversions",
            "conversions_ms",
            "attributable_ms",
            "build_log",
        ),
        mitigation=(
            "Quantize the layer's input and output (Q/DQ around it in explicit quantization, or "
            "calibration scales in implicit quantization) so TensorRT can choose an INT8 kernel; for "
            "pooling this removes the conversions around it. Check `trtexec --verbose` for missing-scale "
            "or no-implementation messages."
        ),
        reference=TRT_QUANTIZATION,
        check=rules_precision.check_int8_fallback,
        severities=("info", "warning", "error"),
        severity_rule=(
            "info in a Q/DQ (explicitly quantized) network when no Q/DQ is on the layer's input (float is what "
            "the network's quantization asked for; title 'runs in FP16: its input is not quantized'); "
            "otherwise warning, and " + ESCALATION
        ),
        cost_kind="estimated saving",
        cost_method=rules_facts.FALLBACK_COST,
    ),
    Rule(
        id="int8-float-output",
        severity="warning",
        title="INT8 convolution/GEMM writes a float output",
        checks=(
            "Convolution/GEMM layers computing in INT8 whose output tensor is FP16/FP32 and is read by "
            "further layers or quantized again (not just the network output)."
        ),
        evidence=(
            "precision",
            "output_precision",
            "output_format",
            "tactic",
            "readers",
            "float_readers",
            "requantized_by",
            "requantize_ms",
        ),
        mitigation=(
            "Quantize the output where it is consumed (Q/DQ after the Add on the residual branch, Q/DQ "
            "before pooling) so the convolution writes INT8: less memory traffic and no separate "
            "Quantize layer."
        ),
        reference=f"{TRT_QUANTIZATION}#qdq-placement-recommendations",
        check=rules_float_output.check_int8_float_output,
        severities=("warning", "error"),
        severity_rule=ESCALATION,
        cost_kind="estimated saving",
        cost_method=rules_facts.FLOAT_OUTPUT_COST,
    ),
    Rule(
        id="int8-build-warning",
        severity="warning",
        title="Build log reports an INT8 problem",
        checks=(
            "trtexec/builder warnings parsed from the log: missing INT8 scales (tensor runs in float) and "
            "'no conforming implementation' (layer fell back to another precision/format)."
        ),
        evidence=("kind", "line_no", "message", "layer", "log"),
        mitigation=(
            "Provide the scale (calibrate, or add Q/DQ on that tensor) or relax the precision "
            "constraint on that layer; rebuild with --verbose to see the tactic choice."
        ),
        reference=TRT_QUANTIZATION,
        check=rules_precision.check_int8_build_warnings,
        cost_kind="layer time",
        cost_method=(
            "the named layer's own time: an upper bound on any saving"
        ),
    ),
    Rule(
        id="no-tensor-cores",
        severity="warning",
        title="Convolution/GEMM not on Tensor Cores",
        checks=(
            "Convolution/GEMM layers whose tactic name is a SIMT (CUDA-core) kernel (ffma, scudnn, sgemm, "
            "int8x4/dp4a, sm50/sm6x xmma) where the engine could use Tensor Cores: FP16/BF16/INT8/FP8 "
            "layers, or FP32 layers in an engine that runs TF32/Tensor Core kernels elsewhere."
        ),
        evidence=(
            "tactic",
            "tactic_class",
            "precision",
            "input_channels",
            "output_channels",
            "groups",
            "tensor_core_kernels_elsewhere",
        ),
        mitigation=(
            "Make channel counts multiples of 8 (FP16) / 16-32 (INT8); allow FP16/INT8 for the layer; "
            "for image-input layers try padding the input to the precision's channel multiple and compare; "
            "larger batch sizes favour Tensor Core tactics."
        ),
        reference=DL_PERF_CONV,
        check=rules_kernels.check_no_tensor_cores,
        severities=("info", "warning"),
        severity_rule=(
            "info for an image-input layer (C <= 4, in any build: a Tensor Core kernel would pad its channels); "
            "never an error: its cost is a layer time (an upper bound), not an estimated saving"
        ),
        cost_kind="layer time",
        cost_method=(
            "the convolution's own time: an upper bound, not a saving (how much faster a Tensor Core "
            "kernel would be is not estimated)"
        ),
    ),
    Rule(
        id="channel-alignment",
        severity="info",
        title="Channel count not aligned for Tensor Cores",
        checks=(
            "Convolution/GEMM layers whose input channels C or output channels K are padded by the "
            "vectorised format their kernel really reads/writes (INT8 NC/32HW32 -> multiples of 32, "
            "NC/4HW4 -> 4, FP16 NHWC8 -> 8; linear NCHW/NHWC pads nothing) so that at least "
            f"{rules_kernels.MIN_PADDING_WASTE:.0%} of the C x K work (depthwise: of the channels) is "
            "padding. Other grouped convolutions and 3 -> 4 image inputs are skipped. Layers of one "
            "precision and multiple are one finding."
        ),
        evidence=(
            "precision",
            "input_channels",
            "output_channels",
            "multiple",
            "padding_waste",
            "tactic",
            "tactic_class",
        ),
        mitigation=(
            "Padded channels cost what real ones would (C=144 in an INT8 C32 format runs as 160), so no change of "
            "format saves this: where the architecture is still open, round channel counts down to a multiple of "
            "the vector width to save time (144 -> 128), or up for capacity at about the same time (16 -> 32); "
            "otherwise accept the padding."
        ),
        reference=DL_PERF_CONV,
        check=rules_kernels.check_channel_alignment,
        cost_kind="layer time",
        cost_method=(
            "the convolutions' own time: an upper bound, not a saving (raising a channel count to the multiple "
            "turns the padding into real work, keeping it still pads; each layer's padded share of its work is "
            "evidence.padding_waste)"
        ),
    ),
    Rule(
        id="hot-layer",
        severity="info",
        title="Hot layer",
        checks=(
            f"Layers taking at least {rules_timing.THRESHOLDS['hot-layer']['min_share']:.0%} of the summed "
            "per-layer time. Needs a profile."
        ),
        evidence=("share_of_layer_total", "avg_ms", "median_ms", "layer_type", "precision", "tactic"),
        mitigation="Start optimizing here; read the other findings on the same layer for the reason.",
        reference=TRT_BEST_PRACTICES,
        check=rules_timing.check_hot_layers,
        cost_kind="layer time",
        cost_method=(
            "the layer's own time: where the time goes, not a saving"
        ),
        needs_profile=True,
    ),
    Rule(
        id="tiny-kernels",
        severity="info",
        title="Many tiny kernels",
        checks=(
            "At least {min_count:.0f} layers each shorter than {us:.0f} us that together take at least "
            "{share:.0%} of the per-layer time. Needs a profile."
        ).format(
            min_count=rules_timing.THRESHOLDS["tiny-kernels"]["min_count"],
            us=rules_timing.THRESHOLDS["tiny-kernels"]["max_ms"] * 1000,
            share=rules_timing.THRESHOLDS["tiny-kernels"]["min_share"],
        ),
        evidence=("count", "share_of_layer_total", "tiny_ms", "max_ms", "cuda_graphs", "examples", "gpu_busy_share",
                  "host_launch_ms_assumed"),
        mitigation=(
            "Reduce launch overhead: run with CUDA graphs (trtexec --useCudaGraph / "
            "cudaStreamBeginCapture), increase the batch size, or simplify the graph so more layers fuse."
        ),
        reference=TRTEXEC_DOC,
        check=rules_timing.check_tiny_kernels,
        cost_kind="not estimated",
        cost_method=(
            "not estimated: per-layer times are the kernels' GPU time, which CUDA graphs do not shorten (launch "
            "overhead is host time, not in them); the GPU busy share of the walltime (trtexec's totals) is the "
            "evidence of launch-boundness when the files have it"
        ),
        needs_profile=True,
    ),
    Rule(
        id="shape-layers",
        severity="info",
        title="Large share of shape/cast/shuffle layers",
        checks=(
            "Shape, reshape, shuffle, transpose, cast, slice, gather, copy layers (by layer type, else by "
            "names, including Myelin __myl_Resh/Cast kernels) taking at least {t:.0%} of the per-layer time "
            "(without a profile: at least {c:.0%} of the layers)."
        ).format(
            t=rules_timing.THRESHOLDS["shape-layers"]["min_time_share"],
            c=rules_timing.THRESHOLDS["shape-layers"]["min_count_share_without_profile"],
        ),
        evidence=("count", "share", "basis", "examples"),
        mitigation=(
            "Remove layout round trips in the model (transpose/reshape pairs, casts between precisions), "
            "export with constant folding (onnx-simplifier / polygraphy surgeon sanitize --fold-constants)."
        ),
        reference=TRT_BEST_PRACTICES,
        check=rules_timing.check_shape_layers,
        cost_kind="layer time",
        cost_method=(
            "the data-movement layers' own time: an upper bound on any saving"
        ),
    ),
    Rule(
        id="unstable-timing",
        severity="info",
        title="Unstable timing",
        checks=(
            "Layers whose printed average and median time differ by at least {g:.0%} (and at least {ms:.0f} us), "
            "and trtexec's 'GPU compute time is unstable' warning: the log's own line, else trtexec's rule on the "
            "measured iterations of a times file (coefficient of variation of GPU Compute Time over 1% for "
            "TensorRT 8.4 to 10.13.0, over 2.5% from 10.13.2 and when the version is unknown)."
        ).format(
            g=rules_timing.THRESHOLDS["unstable-timing"]["min_relative_gap"],
            ms=rules_timing.THRESHOLDS["unstable-timing"]["min_ms"] * 1000,
        ),
        evidence=("avg_ms", "median_ms", "relative_gap", "line_no", "message", "coefficient_of_variation_pct",
                  "threshold_pct", "threshold_basis", "iterations", "gpu_compute_mean_ms"),
        mitigation=(
            "Lock GPU clocks (nvidia-smi -lgc), run with --useSpinWait unless the run already spin-waited "
            "(trtexec's own advice), keep other work off the GPU, use more iterations (--iterations / --duration) "
            "and compare medians."
        ),
        reference=TRT_BEST_PRACTICES,
        check=rules_timing.check_unstable_timing,
        cost_kind="not estimated",
        cost_method=(
            "a measurement-quality finding: nothing to save"
        ),
        needs_profile=True,
    ),
    Rule(
        id=rules_run.ENQUEUE_ID,
        severity="warning",
        title="Throughput may be bound by enqueue time",
        checks=(
            "trtexec's rule, exactly: the median Enqueue Time is more than {r:g} x the median GPU Compute Time "
            "(float32 comparison of trtexec's medians: the printed summary, or recomputed from --exportTimes). "
            "Needs a performance summary or a times file, no layers."
        ).format(r=rules_run.THRESHOLDS[rules_run.ENQUEUE_ID]["enqueue_over_compute"]),
        evidence=("enqueue_median_ms", "gpu_compute_median_ms", "threshold", "enqueue_over_compute", "medians_from",
                  "gpu_busy_share", "cuda_graphs", "line_no"),
        mitigation=(
            "Shorten the host's work per inference: CUDA graphs (trtexec --useCudaGraph) unless the run used "
            "them, --useSpinWait, several inference streams (--infStreams), a larger batch."
        ),
        reference=TRTEXEC_DOC,
        check=rules_run.check_enqueue_bound,
        severities=("info", "warning"),
        severity_rule=(
            "warning; info when trtexec's totals show the GPU busy at least {b:.0%} of the host walltime (the "
            "long enqueue then mostly waited for the GPU)"
        ).format(b=rules_run.THRESHOLDS[rules_run.ENQUEUE_ID]["busy_share_info"]),
        cost_kind="not estimated",
        cost_method="not estimated: host time is not a layer's time",
    ),
    Rule(
        id=rules_run.TRANSFER_ID,
        severity="warning",
        title="Throughput may be bound by host/device transfers",
        checks=(
            "trtexec's rule, exactly: the median H2D Latency (or D2H Latency) is at least the median GPU "
            "Compute Time (float32 comparison of trtexec's medians). Not checked when the run disabled data "
            "transfers."
        ),
        evidence=("h2d_median_ms", "d2h_median_ms", "gpu_compute_median_ms", "medians_from", "line_no"),
        mitigation=(
            "In the application: pinned (page-locked) host buffers, copies on their own stream overlapping the "
            "previous inference (double buffering), data kept on the GPU between stages (pre/post-processing "
            "on the GPU), smaller I/O types (FP16/INT8 bindings: trtexec --inputIOFormats/--outputIOFormats). "
            "To time the engine alone: trtexec --noDataTransfers (TensorRT 11: without --includeDataTransfers)."
        ),
        reference=TRTEXEC_DOC,
        check=rules_run.check_transfer_bound,
        cost_kind="not estimated",
        cost_method="not estimated: copy time is not a layer's time",
    ),
    Rule(
        id=rules_build.WORKSPACE_ID,
        severity="warning",
        title="Tactics skipped for insufficient builder workspace",
        checks=(
            "TensorRT's own build warnings 'Skipping tactic ... due to insufficient memory on requested size of "
            "N' (TensorRT 10 trtexec logs; N is the budget the tactic had, not its need), each tactic's need from "
            "the verbose 'Exceeded mem budget of N. Need M' line before it (or that the log does not say), the "
            "verbose 'Tactic: T skipped. Scratch requested: N, available: M' skips (TensorRT 8.4, 10; one tactic "
            "reported by both forms counts once), the "
            "workspace pool trtexec printed and, when the command line asked for more, why it got less (a "
            "--memPoolSize size ending in B is bytes)."
        ),
        evidence=("workspace_printed", "workspace_asked", "skipped_tactics", "largest_need_bytes",
                  "largest_need_line_no", "line_nos"),
        mitigation=(
            "Give the builder at least the largest need TensorRT printed for a skipped tactic (a --verbose build "
            "prints it: 'Exceeded mem budget of N. Need M'; the warning's 'requested size' is not a need) with "
            "trtexec --memPoolSize=workspace:1024M (sizes take the suffixes B, K, M, G, no suffix is MiB) and "
            "rebuild; compare the new engine's kernel choice and latency."
        ),
        reference=TRTEXEC_DOC,
        check=rules_build.check_workspace_limited,
        cost_kind="not estimated",
        cost_method="not estimated: the skipped tactics were never timed",
    ),
    Rule(
        id=rules_dla.FALLBACK_ID,
        severity="warning",
        title="DLA engine: layers fell back to the GPU",
        checks=(
            "In an engine with DLA layers (TensorRT 7 {a,b,c} subgraph names, or the [DlaLayer] entries of the "
            "'Layers Running on DLA / GPU' lists TensorRT 8.x/10.x print), the layers that run on the GPU "
            "(reformats, no-ops and DLA bookkeeping rows aside) and the number of DLA<->GPU transitions "
            "between consecutive layers (execution order; from the lists alone, the order their ONNX node "
            "numbers give, else a lower bound)."
        ),
        evidence=("gpu_layers", "dla_subgraphs", "transitions", "order", "gpu_layers_ms"),
        mitigation=(
            "Keep the DLA work in one piece: replace or restructure the layers the DLA cannot run (see the "
            "DLA supported layers and restrictions in the TensorRT documentation; e.g. GlobalAveragePool as an "
            "AveragePool with a fixed kernel), or run the network's tail on the GPU in one piece. Fewer "
            "DLA<->GPU transitions mean fewer copies and synchronisations. Measure with nsys profile "
            "--accelerator-trace=nvmedia and compare with a GPU-only build (trtexec without --useDLACore)."
        ),
        reference=TRT_DLA,
        check=rules_dla.check_dla_gpu_fallback,
        cost_kind="not estimated",
        cost_method="not measured: the transitions' copies and synchronisations are not in these files",
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def severity_range(rule: Rule) -> tuple[str, ...]:
    """The severities a rule's findings can have, lowest first."""
    return tuple(s for s in SEVERITIES if s in (rule.severities or (rule.severity,)))


def rules_frame() -> pd.DataFrame:
    """The rule table as a frame (one row per rule, the fields of :class:`Rule` but the function and cost
    fields; ``severities`` lists every severity a rule's findings can have, ``severity_rule`` says how)."""
    return pd.DataFrame(
        {
            "id": [r.id for r in RULES],
            "severity": [r.severity for r in RULES],
            "severities": [list(severity_range(r)) for r in RULES],
            "severity_rule": [r.severity_rule or f"always {r.severity}" for r in RULES],
            "title": [r.title for r in RULES],
            "checks": [r.checks for r in RULES],
            "evidence": [list(r.evidence) for r in RULES],
            "mitigation": [r.mitigation for r in RULES],
            "reference": [r.reference for r in RULES],
            "needs_profile": [r.needs_profile for r in RULES],
        }
    )
