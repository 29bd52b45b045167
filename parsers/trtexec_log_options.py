"""The option sections and device information of a trtexec log (``=== Model/Build/Inference/System/Reporting
Options ===``, ``=== Device Information ===``) and the argument echo of trtexec before TensorRT 7.0, read into the
same option vocabulary: the part of the log parser's state machine that reads them (split from
:mod:`trtinspect.parsers.trtexec_log`; behaviour unchanged). :class:`OptionReader` is a mixin of the parser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trtinspect.parsers import trtexec_log_sections as sec

if TYPE_CHECKING:
    from trtinspect.parsers.trtexec_log import TrtexecLog

OPTION_SECTIONS = {
    "Model Options": "model_options",
    "Build Options": "build_options",
    "Inference Options": "inference_options",
    "System Options": "system_options",
    "Reporting Options": "reporting_options",
}


class OptionReader:
    """The option, device and pre-7.0 argument methods of the log parser (``trtexec_log._Parser``)."""

    out: TrtexecLog
    section: str | None
    options: dict[str, str] | None
    arguments5: dict[str, str]    # pre-7.0 argument echo lines: name -> value ("" for a flag)

    def _note(self, note: str) -> None:
        raise NotImplementedError

    def _option(self, stripped: str, trt: bool) -> bool:
        key, colon, value = stripped.partition(":")
        if not stripped or not colon or trt or self.options is None:
            self.section = None
            return not stripped
        key, value = key.strip(), value.strip()
        old = self.options.get(key)
        self.options[key] = value if old is None else f"{old}; {value}"
        return True

    def _device(self, stripped: str, trt: bool) -> bool:
        if not stripped or trt or sec.VERSION_LINE.match(stripped):
            self.section = None
            return False
        parsed = sec.parse_device_line(stripped)
        if parsed is not None:
            self.out.device.update(parsed)
            return True
        avail = sec.AVAILABLE_DEVICE.match(stripped)
        if avail is not None:
            entry = {"device_id": int(avail.group("id")), "name": avail.group("name"),
                     "uuid": avail.group("uuid")}
            self.out.device.setdefault("available", []).append(entry)
        return True

    def _argument5(self, stripped: str) -> bool:
        """A pre-7.0 trtexec argument echo (``batch: 16``, ``int8``) or network input (``Input "data": 3x224x224``),
        read only before any option section (TensorRT 7+ prints its options in sections instead)."""
        out = self.out
        if self.section is not None or out.model_options or out.build_options or out.inference_options:
            return False
        m = sec.ARGUMENT5.match(stripped)
        if m is not None and sec.is_argument5(m.group("name"), m.group("value")):
            name, value = m.group("name"), m.group("value") or ""
            old = self.arguments5.get(name)
            self.arguments5[name] = value if old is None else f"{old}; {value}"   # --output given twice
            return True
        i = sec.INPUT5.match(stripped) if self.arguments5 else None
        if i is not None:   # CHW without the batch (implicit batch): the batch is the 'batch' argument
            out.input_bindings.setdefault(i.group("name"), i.group("dims"))
            return True
        return False

    def _apply_arguments5(self) -> None:
        """The pre-7.0 argument echo as the option sections later trtexec prints (one vocabulary downstream)."""
        read = []
        for attr, options in sec.options_from_arguments5(self.arguments5).items():
            target: dict[str, str] = getattr(self.out, attr)
            for key, value in options.items():
                if key not in target:
                    target[key] = value
                    if key in ("Batch", "Precision", "Workspace", "DLACore"):
                        read.append(f"{key}: {value}")
        self._note(f"{sec.argument_echo(self.arguments5)}; read as the options TensorRT 7+ prints ({', '.join(read)}; "
                   "an argument not given takes trtexec 5's default: batch 1, workspace 16 MB, FP32 without "
                   "--fp16/--int8)")
