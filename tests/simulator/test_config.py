"""SimulatorConfig: settings are checked when made, with a message that says what to pass."""

from __future__ import annotations

import re

import pytest

from simulator import DEFAULT_INDEX_LAG, NO_LAG, SimulatorConfig


def test_it_defaults_to_a_realistic_youtube():
    config = SimulatorConfig()

    assert config.index_lag == DEFAULT_INDEX_LAG
    assert [share for share, _, _ in DEFAULT_INDEX_LAG] == [0.60, 0.25, 0.12, 0.03]
    assert [(low, high) for _, low, high in DEFAULT_INDEX_LAG] == [
        (0, 180),
        (180, 1800),
        (1800, 3 * 3600),
        (3 * 3600, 6 * 3600),
    ]
    assert (config.removal_share, config.removal_after_hours) == (0.02, (1, 48))
    assert (config.restore_share, config.restore_after_hours) == (0.10, (1, 24))


def test_it_takes_lists_for_the_lag_and_no_lag_at_all():
    config = SimulatorConfig(index_lag=[[0.5, 0, 60], [0.5, 60, 120]])

    assert config.index_lag == ((0.5, 0.0, 60.0), (0.5, 60.0, 120.0))
    assert SimulatorConfig(index_lag=NO_LAG).index_lag == ()
    hash(config)  # a frozen config stays usable as a key


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"index_lag": ((0.5, 0, 60),)}, "add up to 1"),
        ({"index_lag": ((0.5, 0, 60), (0.6, 60, 120))}, "add up to 1"),
        ({"index_lag": ((1.0, 60, 0),)}, "low <= high"),
        ({"index_lag": ((1.0, -5, 60),)}, "low <= high"),
        ({"index_lag": ((0.0, 0, 60), (1.0, 0, 60))}, "share must be above 0"),
        ({"index_lag": ((1.0, 60),)}, "(share, low, high)"),
        ({"removal_share": 1.5}, "removal_share"),
        ({"restore_share": -0.1}, "restore_share"),
        ({"removal_after_hours": (48, 1)}, "removal_after_hours"),
        ({"restore_after_hours": (1,)}, "restore_after_hours"),
        ({"query_rates": (1.0,), "queries": ("a", "b")}, "one rate per query: 1 for 2"),
        ({"query_rates": (1.0, 0.0), "queries": ("a", "b")}, "rates must be above 0"),
    ],
)
def test_it_rejects_a_lag_or_removal_setting_that_makes_no_sense(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SimulatorConfig(**fields)
