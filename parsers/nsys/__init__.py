"""trtinspect.parsers.nsys: everything Nsight Systems, in the order data flows.

* :mod:`.sqlite` -- read an ``nsys export --type sqlite`` file (read-only, immutable) into event frames;
* :mod:`.stats` -- the summaries ``nsys stats`` prints (cuda_gpu_kern_sum, cuda_gpu_mem_time_sum,
  cuda_gpu_mem_size_sum, cuda_api_sum, nvtx_sum, nvtx_gpu_proj_sum, osrt_sum), aggregated inside SQLite;
* :mod:`.stats_csv` -- read ``nsys stats --format csv`` report files;
* :mod:`.attribution` -- GPU work joined to launches, NVTX ranges, TensorRT layers and iterations;
* :mod:`.bundle` -- an :class:`~trtinspect.parsers.model.EngineBundle` from one export (the loader's nsys hook).

Submodules are imported on use: ``import trtinspect.parsers.nsys`` alone loads nothing heavy.
"""
