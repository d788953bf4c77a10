"""The suite's rendered prompts as inspect samples, each carrying its exported row as metadata."""

from __future__ import annotations

from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from biasorigins.errors import ConfigError
from biasorigins.exchange import export_prompts
from biasorigins.suite import BiasSuite

#: Metadata field with the prompt's place in the export, so scores are put back in the suite's order.
POSITION = "position"


def suite_dataset(suite: BiasSuite, *, name: str | None = None) -> MemoryDataset:
    """One sample per prompt of ``suite``: the prompt text as the user message, id ``case_id#condition``,
    and as metadata the prompt's row of :func:`~biasorigins.exchange.export_prompts` (bias, case id,
    condition, labels, options, display order, the test case as JSON) plus its ``position``."""
    frame = export_prompts(suite)
    if frame.empty:
        failed = "; ".join(f"{e.bias}: {e.message}" for e in suite.errors) or "no biases"
        raise ConfigError(f"the suite has no prompts to evaluate ({failed})")
    samples = []
    for position, row in enumerate(frame.to_dict(orient="records")):
        metadata: dict[str, Any] = {**row, POSITION: position}
        samples.append(Sample(input=row["text"], id=f"{row['case_id']}#{row['condition']}", metadata=metadata))
    return MemoryDataset(samples, name=name or "biasorigins")
