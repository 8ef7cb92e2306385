"""One line of the benchmark table: the platform's figure beside its floor from the same run."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Result:
    #: Scenario label as printed, e.g. "7a 推荐 top-5 (1,000 × 10,000)".
    scenario: str
    #: "sqlite", "postgresql", or "-" where no database is involved.
    database: str
    #: The platform's figure, in ``unit``.
    figure: float
    #: The floor (reference or naive) measured in the same run, in ``unit``; None if the scenario has none.
    floor: float | None
    #: "ms", "s", "req/s", "MB".
    unit: str
    #: The target as written in the issue, e.g. "≤ 5 s" or "≤ 1.5× floor".
    target: str
    #: Whether the target is met; None for a row shown for information, with no target.
    met: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """figure / floor (for times: below 1 means the platform beats the floor)."""
        if not self.floor:
            return None
        return self.figure / self.floor
