"""A JSON-lines accelerate tracker, one log file per seed-run.

accelerate's built-in trackers log from the main process only; seeds run on
every process, so this tracker logs wherever it is created
(`main_process_only = False`). Each line is {"step": ..., **values}.
"""

from __future__ import annotations

import json
from pathlib import Path

from accelerate.tracking import GeneralTracker


class JSONLTracker(GeneralTracker):
    name = "jsonl"
    requires_logging_directory = True
    main_process_only = False

    def __init__(self, run_name: str, logging_dir: str | Path):
        super().__init__()
        self.run_name = run_name
        self.path = Path(logging_dir) / "train_log.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a")

    @property
    def tracker(self):
        return self._handle

    def store_init_configuration(self, values: dict) -> None:
        self.log({"config": values}, step=None)

    def log(self, values: dict, step: int | None = None, **kwargs) -> None:
        self._handle.write(json.dumps({"run": self.run_name, "step": step, **values}) + "\n")
        self._handle.flush()

    def finish(self) -> None:
        self._handle.close()
