"""First-order Markov attribution: each channel state's removal effect from a chain's transition counts.

The chain runs from '(start)' through the channel states to '(conversion)' or '(null)'; its transition
probabilities are the counts of int_markov_transitions normalised per from_state. The removal effect of
a state s is 1 - P(conversion | s removed) / P(conversion), where removing s sends every transition into
s to '(null)'.

Removing s fails exactly the converting walks that visit s and leaves every other walk as it was, so
    P(conversion) - P(conversion | s removed) = P(reach s from start) * P(convert from s)
and, with N = (I - Q)^-1 the expected visits between transient states, P(reach s from start) =
N[start, s] / N[s, s]. One solve of (I - Q) against [r | I] gives every state's effect at once, where
one solve per removed state would cost as many solves as there are states.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
_SPECIAL = (START, CONVERSION, NULL)


@dataclass(frozen=True)
class RemovalEffects:
    """Per channel state, in sorted order. Without any conversion every effect is 0 and every share is NaN
    (undefined: there is nothing to share), so a caller writes null rather than a made-up split."""

    states: np.ndarray  # str
    removal_effect: np.ndarray  # float64, in [0, 1]
    share: np.ndarray  # float64, sums to 1; all NaN when nothing converts


def removal_effects(
    from_state: Sequence[str] | np.ndarray,
    to_state: Sequence[str] | np.ndarray,
    transitions: Sequence[float] | np.ndarray,
) -> RemovalEffects:
    """Removal effects and their shares from first-order transition counts (one row per from/to pair;
    repeated pairs add up, self-loops are kept). A state that is never left goes to '(null)'."""
    from_state, to_state = np.asarray(from_state, dtype=object), np.asarray(to_state, dtype=object)
    counts = np.asarray(transitions, dtype=np.float64)
    _check(from_state, to_state, counts)

    # Fixed-width strings sort in C; Python objects would be compared one pair at a time.
    names, inverse = np.unique(np.concatenate([from_state, to_state]).astype(str), return_inverse=True)
    is_channel = ~np.isin(names, _SPECIAL)
    channels = names[is_channel]
    # Index order: start 0, channels 1..n, then conversion and null, so the transient block comes first.
    n = len(channels)
    position = np.empty(len(names), dtype=np.int64)
    position[is_channel] = np.arange(1, n + 1)
    for name, index in ((START, 0), (CONVERSION, n + 1), (NULL, n + 2)):
        position[names == name] = index
    rows, cols = position[inverse[: len(from_state)]], position[inverse[len(from_state) :]]

    size = n + 3
    count_matrix = np.bincount(rows * size + cols, weights=counts, minlength=size * size).reshape(size, size)
    transient = n + 1
    never_left = count_matrix[:transient].sum(axis=1) == 0
    count_matrix[np.flatnonzero(never_left), n + 2] = 1.0
    probabilities = count_matrix[:transient] / count_matrix[:transient].sum(axis=1, keepdims=True)

    q, r = probabilities[:, :transient], probabilities[:, n + 1]
    identity = np.eye(transient)
    solved = np.linalg.solve(identity - q, np.column_stack([r, identity]))
    conversion_from, visits = solved[:, 0], solved[:, 1:]

    effect = np.zeros(n)
    if conversion_from[0] > 0:
        reach_from_start = visits[0, 1:] / np.diagonal(visits)[1:]
        # Rounding can leave a hair below 0 or above 1 on a state every conversion passes.
        effect = np.clip(reach_from_start * conversion_from[1:] / conversion_from[0], 0.0, 1.0)
    total = effect.sum()
    share = effect / total if total > 0 else np.full(n, np.nan)
    return RemovalEffects(states=channels, removal_effect=effect, share=share)


def _check(from_state: np.ndarray, to_state: np.ndarray, counts: np.ndarray) -> None:
    if not (from_state.shape == to_state.shape == counts.shape) or from_state.ndim != 1:
        raise ValueError("from_state, to_state and transitions must be 1-d and of one length")
    if np.any(np.equal(from_state, None)) or np.any(np.equal(to_state, None)):
        raise ValueError("a transition has no from_state or to_state")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError("transition counts must be finite and not negative")
    if np.any(np.isin(from_state, (CONVERSION, NULL))):
        raise ValueError(f"{CONVERSION} and {NULL} absorb: no transition leaves them")
    if np.any(to_state == START):
        raise ValueError(f"no transition enters {START}")
