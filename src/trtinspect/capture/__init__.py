"""Capture and profile: run trtexec or TensorRT and write a bundle through :mod:`trtinspect.parsers.bundle_writer`.

Sits beside the loader (above :mod:`trtinspect.parsers`, independent of :mod:`trtinspect.inspector`): it produces
the files the loader reads. ``trtexec`` drives the trtexec binary (``trtinspect capture``); ``trt_backend`` is the
only module that imports TensorRT (``trtinspect profile``), with ``cuda_timing``, ``gpu_state`` and ``nvtx_ranges``
as its helpers. See docs/architecture.md.
"""
