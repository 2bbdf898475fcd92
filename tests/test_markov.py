"""The Markov attribution engine (orchestration/attribution/markov.py): a chain solved by hand, the definition
applied state by state, and channelattribution, which simulates the same chain, on synthetic paths and on the
warehouse's own paths (int_order_paths, int_markov_removal_effects, fct_attribution)."""

import contextlib
import io
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from orchestration.attribution.markov import CONVERSION, NULL, START, removal_effects
from tests.conftest import query

with contextlib.redirect_stdout(io.StringIO()):  # it prints an advertisement on import
    import ChannelAttribution

Path = tuple[tuple[str, ...], bool]  # the states touched in order, and whether the path converted

# Within this many share points of the simulation, per state.
TOLERANCE = 0.03


def _transitions(paths: list[Path]) -> tuple[list[str], list[str], list[int]]:
    """The counts int_markov_transitions makes: start into the first state, each state into the next (repeats
    are self-loops), the last into conversion or null."""
    counts = Counter()
    for states, converted in paths:
        chain = (START, *states, CONVERSION if converted else NULL)
        counts.update(zip(chain[:-1], chain[1:], strict=True))
    from_states, to_states = zip(*counts, strict=True)
    return list(from_states), list(to_states), list(counts.values())


def _shares(paths: list[Path]) -> dict[str, float]:
    effects = removal_effects(*_transitions(paths))
    return dict(zip(effects.states.tolist(), effects.share.tolist(), strict=True))


@dataclass(frozen=True)
class Reference:
    """channelattribution's answer: removal effects, and their shares as it reports them (total_conversions
    over their sum)."""

    removal_effect: dict[str, float]
    share: dict[str, float]


def _channelattribution(paths: list[Path], nsim: int) -> Reference:
    """channelattribution's first-order Markov model on the same paths. Its walks may take up to 200 steps: by
    default it stops them at the longest path seen and drops the unfinished ones, a bias self-loops worsen."""
    frame = pd.DataFrame({"path": [">".join(states) for states, _ in paths], "conversions": [c for _, c in paths]})
    frame["conversions"] = frame["conversions"].astype(int)
    frame["nulls"] = 1 - frame["conversions"]
    per_path = frame.groupby("path", as_index=False)[["conversions", "nulls"]].sum()
    with contextlib.redirect_stdout(io.StringIO()):
        result = ChannelAttribution.markov_model(
            per_path,
            "path",
            "conversions",
            var_null="nulls",
            nsim_start=nsim,
            max_step=200,
            seed=11,
            ncore=1,
            out_more=True,
            verbose=False,
            flg_pro=False,
        )
    conversions, effects = result["result"], result["removal_effects"]
    return Reference(
        removal_effect=dict(zip(effects["channel_name"], effects["removal_effect"], strict=True)),
        share=dict(
            zip(
                conversions["channel_name"],
                conversions["total_conversions"] / conversions["total_conversions"].sum(),
                strict=True,
            )
        ),
    )


def _max_difference(ours: dict[str, float], reference: dict[str, float]) -> float:
    assert set(ours) == set(reference)
    return max(abs(ours[state] - reference[state]) for state in ours)


# Four channels, five paths. Transitions and their probabilities:
#   (start) -> A 2, B 1, C 1, D 1     A 2/5, B 1/5, C 1/5, D 1/5
#   A -> A 1, B 1, C 1                A 1/3, B 1/3, C 1/3 (a self-loop)
#   B -> (conversion) 2, (null) 1     conversion 2/3
#   C -> B 1, (null) 1                B 1/2
#   D -> (null) 1                     D only ever fails
HAND_PATHS: list[Path] = [
    (("A", "B"), True),
    (("A", "A", "C"), False),
    (("B",), True),
    (("C", "B"), False),
    (("D",), False),
]
# Conversion probabilities x: x_B = 2/3, x_C = 1/2 x_B = 1/3, x_A = 1/3 (x_A + x_B + x_C) gives x_A = 1/2,
# x_D = 0; P(conversion) = 2/5 x_A + 1/5 x_B + 1/5 x_C + 1/5 x_D = 1/5 + 2/15 + 1/15 = 2/5.
# Without A: 1/5 x_B + 1/5 x_C = 1/5, effect 1 - (1/5) / (2/5) = 1/2.
# Without B: every conversion passes B, effect 1.
# Without C: x_A = 1/3 (x_A + x_B) gives x_A = 1/3; 2/5 * 1/3 + 1/5 * 2/3 = 4/15, effect 1 - (4/15) / (6/15) = 1/3.
# Without D: nothing changes, effect 0.
# Shares: the effects over their sum 11/6: A 3/11, B 6/11, C 2/11, D 0.
HAND_EFFECTS = {"A": Fraction(1, 2), "B": Fraction(1), "C": Fraction(1, 3), "D": Fraction(0)}
HAND_SHARES = {"A": Fraction(3, 11), "B": Fraction(6, 11), "C": Fraction(2, 11), "D": Fraction(0)}


def test_a_chain_solved_by_hand():
    effects = removal_effects(*_transitions(HAND_PATHS))

    assert effects.states.tolist() == ["A", "B", "C", "D"]
    assert effects.removal_effect == pytest.approx([float(HAND_EFFECTS[s]) for s in "ABCD"], abs=1e-9)
    assert effects.share == pytest.approx([float(HAND_SHARES[s]) for s in "ABCD"], abs=1e-9)


def test_without_a_conversion_every_effect_is_zero_and_no_share_is_defined():
    effects = removal_effects(*_transitions([(("A", "B"), False), (("B",), False)]))

    assert effects.removal_effect.tolist() == [0.0, 0.0]
    assert np.isnan(effects.share).all()


def test_a_single_state_has_every_conversion():
    effects = removal_effects(*_transitions([(("A",), True), (("A", "A"), False)]))

    assert effects.states.tolist() == ["A"]
    assert effects.removal_effect.tolist() == [1.0]
    assert effects.share.tolist() == [1.0]


def test_no_transition_at_all_gives_no_state():
    effects = removal_effects([], [], [])

    assert effects.states.size == effects.removal_effect.size == effects.share.size == 0


@pytest.mark.parametrize(
    ("from_state", "to_state", "transitions"),
    [
        ([CONVERSION], ["A"], [1]),  # leaves an absorbing state
        (["A"], [START], [1]),  # enters the start
        ([START], ["A"], [-1]),
        ([START, None], ["A", NULL], [1, 1]),
    ],
)
def test_an_impossible_chain_is_refused(from_state, to_state, transitions):
    with pytest.raises(ValueError):
        removal_effects(from_state, to_state, transitions)


@pytest.mark.parametrize("seed", range(5))
def test_every_effect_equals_removing_its_state_and_solving_again(seed):
    """The engine derives all effects from one solve; here each state is removed as the definition says, its
    incoming transitions redirected to (null), and the chain solved again."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    names = [f"s{i}" for i in range(n)]
    # Rows (start, then the states) by columns (the states, conversion, null): a dense random chain with
    # self-loops in which every state can end, and whose last state only ever fails.
    counts = rng.integers(0, 50, size=(n + 1, n + 2)).astype(float)
    counts[:, n + 1] += 1
    counts[n] = 0
    counts[n, n + 1] = 5
    rows = [
        (([START] + names)[i], (names + [CONVERSION, NULL])[j], counts[i, j])
        for i in range(n + 1)
        for j in range(n + 2)
        if counts[i, j] > 0
    ]

    effects = removal_effects(*zip(*rows, strict=True))

    probabilities = counts / counts.sum(axis=1, keepdims=True)
    # Transient order: start, then the channels; q moves between them, r converts.
    q = np.column_stack([np.zeros(n + 1), probabilities[:, :n]])
    r = probabilities[:, n]

    def conversion_probability(q: np.ndarray) -> float:
        return np.linalg.solve(np.eye(n + 1) - q, r)[0]

    base = conversion_probability(q)
    for k, state in enumerate(names):
        removed = q.copy()
        removed[:, k + 1] = 0.0  # every transition into the state now ends in (null)
        expected = 1 - conversion_probability(removed) / base
        assert effects.removal_effect[effects.states.tolist().index(state)] == pytest.approx(expected, abs=1e-9)
    assert effects.removal_effect[effects.states.tolist().index(names[-1])] == pytest.approx(0.0, abs=1e-12)
    assert effects.share.sum() == pytest.approx(1.0, abs=1e-12)


CHANNELS = ("email", "paid_search", "paid_social", "organic", "referral", "video")


def _draw_paths(rng: np.random.Generator, n_paths: int) -> list[Path]:
    """Paths walked on a fixed chain over CHANNELS: a start distribution, and from each channel the channels
    (itself included), conversion with 2-15% and null with 20-45%."""
    n = len(CHANNELS)
    start = rng.dirichlet(np.full(n, 2.0))
    ends = np.column_stack([rng.uniform(0.02, 0.15, n), rng.uniform(0.20, 0.45, n)])
    moves = rng.dirichlet(np.ones(n), size=n) * (1 - ends.sum(axis=1, keepdims=True))
    cumulative = np.cumsum(np.hstack([moves, ends]), axis=1)  # columns: channels, conversion (n), null (n + 1)

    state = rng.choice(n, size=n_paths, p=start)
    visited = [[first] for first in state.tolist()]
    converted = np.zeros(n_paths, dtype=bool)
    walker = np.arange(n_paths)
    while walker.size:
        # The first column whose cumulative probability exceeds a uniform draw; past the last by rounding is null.
        step = np.minimum((rng.random(walker.size)[:, None] >= cumulative[state]).sum(axis=1), n + 1)
        moved = step < n
        for who, where in zip(walker[moved].tolist(), step[moved].tolist(), strict=True):
            visited[who].append(where)
        converted[walker[step == n]] = True
        walker, state = walker[moved], step[moved]
    return [(tuple(CHANNELS[s] for s in states), bool(c)) for states, c in zip(visited, converted, strict=True)]


def test_shares_agree_with_channelattribution_on_synthetic_paths():
    paths = _draw_paths(np.random.default_rng(20261130), 20_000)
    assert 0.1 < np.mean([converted for _, converted in paths]) < 0.4  # the chain converts, but not always

    difference = _max_difference(_shares(paths), _channelattribution(paths, nsim=300_000).share)

    assert difference < TOLERANCE


@pytest.fixture(scope="module")
def warehouse_paths(video_shop) -> list[Path]:
    _, db = video_shop
    rows = query(
        db,
        """
        select list(markov_state order by touch_index), bool_or(is_conversion)
        from intermediate.int_order_paths
        group by path_id
        """,
    )
    return [(tuple(states), converted) for states, converted in rows]


@pytest.fixture(scope="module")
def reference(warehouse_paths) -> Reference:
    return _channelattribution(warehouse_paths, nsim=1_000_000)


def test_the_warehouse_removal_effects_agree_with_channelattribution(video_shop, reference):
    _, db = video_shop
    shares = dict(query(db, "select markov_state, removal_effect_share from intermediate.int_markov_removal_effects"))

    assert _max_difference(shares, reference.share) < TOLERANCE


def _credit_per_state(paths: list[Path], removal_effect: dict[str, float]) -> dict[str, float]:
    """fct_attribution's markov rule applied to each converting path: its distinct states share the order in
    proportion to their removal effects (each touch equally when all are 0); summed per state over the orders."""
    credit = dict.fromkeys(removal_effect, 0.0)
    orders = [states for states, converted in paths if converted]
    for states in orders:
        distinct = set(states)
        total = sum(removal_effect[state] for state in distinct)
        for state in distinct:
            if total > 0:
                credit[state] += removal_effect[state] / total
            else:
                credit[state] += states.count(state) / len(states)
    return {state: value / len(orders) for state, value in credit.items()}


def test_the_warehouse_markov_credit_agrees_with_channelattribution(video_shop, warehouse_paths, reference):
    """fct_attribution's markov credit per state over the orders with a path (an order with no touch has a
    (direct) row, touch_index 0, that is no state of the chain), against the same per-order rule applied to
    channelattribution's removal effects. Its total_conversions shares are no reference here: they split all
    conversions at once by removal effect, while an order's credit can only go to the states on its path, so
    a state that often converts alone, (direct) / (none), earns more per order (27% against 20% in the
    video_shop)."""
    _, db = video_shop
    rows = query(
        db,
        """
        select markov_state, sum(credit) / (select count(distinct order_id) from marts.fct_attribution
                                            where model = 'markov' and touch_index > 0)
        from marts.fct_attribution
        where model = 'markov' and touch_index > 0
        group by markov_state
        """,
    )
    # A state only non-converting paths pass earns no credit and has no row.
    credit = dict.fromkeys(reference.removal_effect, 0.0) | dict(rows)

    assert _max_difference(credit, _credit_per_state(warehouse_paths, reference.removal_effect)) < TOLERANCE
