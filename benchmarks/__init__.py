"""Benchmarks: speed and memory measured against a baseline run on the same machine, in
the same run, and printed as ratios. They are scripts, never timed tests.

- ``python benchmarks/bulk.py``: bulk-send throughput (``send_many`` / ``send_stream``
  against ``asyncio.gather`` + a semaphore on raw aiohttp) and peak memory while
  streaming 100,000 sends.
- `benchmarks._server`: the fixed-reply HTTP server they run against, in a separate
  process on 127.0.0.1 (reusable by other benchmarks).
"""
