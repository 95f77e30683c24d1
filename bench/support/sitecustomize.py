"""Loaded by every gateway worker bench/wrk_identity.py starts (it puts this folder on PYTHONPATH):
records each garbage collection's generation and CPU time (bench/support/gc_pauses.py), and with
BENCH_NO_GC_FREEZE=1 makes gc.freeze() and gc.set_threshold() no-ops, to compare with the gateway's
freeze and young-generation threshold at startup (mcpgateway.core.lifespan); with
BENCH_UUID4_REQUEST_IDS=1 makes request ids with uuid4 (os.urandom: a system call that gives the
GIL back) as the gateway did before mcpgateway.core.request_ids.new_request_id."""

import gc
import os

if os.environ.get("BENCH_NO_GC_FREEZE"):
    gc.freeze = lambda: None
    gc.set_threshold = lambda *thresholds: None

if os.environ.get("BENCH_UUID4_REQUEST_IDS"):
    import sys
    import uuid

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from mcpgateway.core import request_ids  # standard library imports only: safe before Django

    request_ids.new_request_id = lambda: uuid.uuid4().hex

if os.environ.get("BENCH_GC_PAUSES_DIR"):
    import gc_pauses

    gc_pauses.record(os.environ["BENCH_GC_PAUSES_DIR"])

if os.environ.get("BENCH_LOOP_STALLS_DIR"):
    import loop_stalls

    loop_stalls.record(os.environ["BENCH_LOOP_STALLS_DIR"])
