"""How runs talk to the person who started them."""

import logging
import sys

import dagster as dg


@dg.logger(description="One short line per message on stdout: what a person running the pipeline wants to see.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("funnelhouse.progress")
    log.setLevel(logging.INFO)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s  %(message)s", datefmt="%H:%M:%S"))
        log.addHandler(handler)
    log.propagate = False
    return log
