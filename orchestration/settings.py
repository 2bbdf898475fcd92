"""Where Funnelhouse reads and writes, from environment variables with defaults that work from the repo root."""

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LANDING = Path("data/landing")
DEFAULT_DB = Path("data/warehouse.duckdb")


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    db_path: Path

    @classmethod
    def from_env(cls, landing: Path | None = None, db: Path | None = None) -> "Settings":
        """Explicit arguments win over FUNNELHOUSE_LANDING / FUNNELHOUSE_DB, which win over the defaults."""
        landing = landing or Path(os.environ.get("FUNNELHOUSE_LANDING", DEFAULT_LANDING))
        db = db or Path(os.environ.get("FUNNELHOUSE_DB", DEFAULT_DB))
        return cls(landing_dir=landing.resolve(), db_path=db.resolve())
