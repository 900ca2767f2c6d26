"""`flask fast events simulate`: every after-checkout scenario passes on a real local deployment."""

from __future__ import annotations

import pytest

from simulator import events


@pytest.mark.slow
def test_every_events_scenario_passes_end_to_end() -> None:
    lines: list[str] = []
    assert events.run(outage=3, echo=lines.append) == 0, "\n".join(lines)
    assert sum(line.startswith("PASS") for line in lines) == len(events.SCENARIOS)
