"""``serve odoo-changes`` whose producer stops dead before its Nth commit, for the crash test.

Run as ``python -m tests.integration.odoo_crash_app`` with the producer's RETAILSYNC_
settings. Before the commit of transaction ``RETAILSYNC_TEST_PAUSE_AT`` it flushes the
transaction's records to the brokers, creates the file ``RETAILSYNC_TEST_MARKER`` and
waits, so that the test's SIGKILL lands between produce and commit.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from confluent_kafka import Producer

from producers.odoo import ChangeCaptureSettings, service
from retailsync.kafka import producer
from retailsync.odoo import OdooSettings
from retailsync.settings import load_settings


class PausingProducer(Producer):
    commits = 0

    def commit_transaction(self, timeout: float = -1) -> None:
        PausingProducer.commits += 1
        if PausingProducer.commits == int(os.environ["RETAILSYNC_TEST_PAUSE_AT"]):
            self.flush(30)
            Path(os.environ["RETAILSYNC_TEST_MARKER"]).touch()
            threading.Event().wait()
        super().commit_transaction(timeout)


if __name__ == "__main__":
    producer.Producer = PausingProducer  # type: ignore[attr-defined]
    service.run_change_capture(
        load_settings(), OdooSettings.load(), ChangeCaptureSettings.load(), once=False, say=print
    )
