"""trtinspect.parsers: pure functions turning TensorRT/trtexec/nsys artifacts into documented pandas frames.

Each parser module reads one kind of source and returns ``(metadata, frame)`` (or a small dataclass of frames
for sources that carry several). Parsers never print or plot; bad input raises ``TrtInspectError``.
"""
