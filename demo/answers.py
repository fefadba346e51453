"""Questionnaire answers for demo and benchmark data: item-level PHQ-9 and GAD-7 answers that
add up to a chosen total, as the apps store them (the total is always computed from items).

One builder for both seeders: spread in a fixed order, so that the demo clinic's answers
read the same on every run, or at random (given a random.Random), for the large clinic.
"""

import random

# Which items a total fills first, when spread in order: the commonest symptoms first.
PHQ9_FILL_ORDER = [2, 1, 4, 3, 6, 7, 5, 8]
GAD7_FILL_ORDER = [1, 2, 3, 4, 6, 5, 7]


def item_answers(
    total: int, order: list[int], fixed: dict[int, int], rng: random.Random | None = None
) -> dict[str, int]:
    """Answers 0-3 to the items in `order` (and the `fixed` ones) adding up to `total`:
    filled round-robin in `order`, or one point at a time at random items given `rng`.
    Without `rng` a total that cannot be spread is an error; with it, it is capped."""
    answers = dict.fromkeys(sorted([*order, *fixed]), 0)
    answers.update(fixed)
    rest = total - sum(fixed.values())
    room = 3 * len(order)
    if rng is None and not 0 <= rest <= room:
        raise ValueError(f"cannot spread {total} over the items")
    rest = max(0, min(rest, room))
    while rest:
        for n in [rng.choice(sorted(order))] if rng else order:
            if rest and answers[n] < 3:
                answers[n] += 1
                rest -= 1
    return {f"item_{n}": value for n, value in answers.items()}


def difficulty_for(total: int) -> int:
    """The PHQ-9 difficulty item a patient with this total would likely tick."""
    return 3 if total >= 20 else 2 if total >= 15 else 1 if total >= 5 else 0


def phq9_answers(total: int, item_9: int = 0, rng: random.Random | None = None) -> dict[str, int]:
    answers = item_answers(total, PHQ9_FILL_ORDER, {9: item_9}, rng)
    answers["difficulty"] = difficulty_for(sum(answers.values()))
    return answers


def gad7_answers(total: int, rng: random.Random | None = None) -> dict[str, int]:
    return item_answers(total, GAD7_FILL_ORDER, {}, rng)
