"""Worker processes of `CrossTuning.run(workers=N)` behave like the process that starts them."""

from __future__ import annotations

import logging
import warnings

import pytest

from biasorigins.crosstuning.workers import check_workers, worker_pool


def _what_a_worker_shows() -> tuple[int, int, bool, int]:
    """(warnings a FutureWarning left, the finetune logger's level, transformers' bars on, torch threads)."""
    import torch
    from transformers.utils import logging as transformers_logging

    with warnings.catch_warnings(record=True) as caught:
        warnings.warn("expected here", FutureWarning, stacklevel=1)
    return (len(caught), logging.getLogger("biasorigins.finetune").getEffectiveLevel(),
            transformers_logging.is_progress_bar_enabled(), torch.get_num_threads())


def test_workers_hide_what_the_parent_hides() -> None:
    from transformers.utils import logging as transformers_logging

    finetune_logger = logging.getLogger("biasorigins.finetune")
    level = finetune_logger.level
    with warnings.catch_warnings():
        finetune_logger.setLevel(logging.INFO)  # a known starting point, whatever earlier tests left
        transformers_logging.enable_progress_bar()
        with worker_pool(1, threads=1) as pool:
            shown = pool.submit(_what_a_worker_shows).result()
        warnings.simplefilter("ignore", FutureWarning)
        finetune_logger.setLevel(logging.ERROR)
        transformers_logging.disable_progress_bar()
        try:
            with worker_pool(1, threads=1) as pool:
                hidden = pool.submit(_what_a_worker_shows).result()
        finally:
            finetune_logger.setLevel(level)
            transformers_logging.enable_progress_bar()
    assert shown[0] == 1 and shown[1] != logging.ERROR and shown[2]
    assert hidden == (0, logging.ERROR, False, 1)


def test_threads_default_to_the_cores_shared_out() -> None:
    assert check_workers(1, None) >= 1
    assert check_workers(2, 3) == 3
    with pytest.raises(Exception, match="threads must be a positive integer"):
        check_workers(2, 0)
