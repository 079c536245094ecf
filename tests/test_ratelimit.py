from __future__ import annotations

from bot.ratelimit import RateLimiter, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ratelimit_allows_a_burst_then_warns_once_then_drops():
    limiter = RateLimiter(per_minute=6, burst=3, clock=Clock())
    verdicts = [limiter.check(1) for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]


def test_ratelimit_refills_at_its_rate_and_warns_again_after_an_allowed_question():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=1, clock=clock)  # one token every 10 s
    assert [limiter.check(1) for _ in range(3)] == [Verdict.ALLOW, Verdict.WARN, Verdict.DROP]
    assert 9 < limiter.retry_in(1) <= 10
    clock.now += 9
    assert limiter.check(1) is Verdict.DROP
    clock.now += 2
    assert limiter.check(1) is Verdict.ALLOW
    assert limiter.check(1) is Verdict.WARN  # a new flood gets its own single warning


def test_ratelimit_users_are_independent():
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.check(1) is Verdict.ALLOW
    assert limiter.check(1) is Verdict.WARN
    assert limiter.check(2) is Verdict.ALLOW


def test_ratelimit_forgets_idle_users():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=5, clock=clock)  # refilled from empty in 5 s
    for user in range(100):
        limiter.check(user)
    assert len(limiter) == 100
    clock.now += 6
    limiter.check(1000)
    assert len(limiter) == 1


def test_ratelimit_holds_at_most_max_users():
    limiter = RateLimiter(per_minute=1, burst=1, max_users=50, clock=Clock())
    for user in range(1000):
        limiter.check(user)
    assert len(limiter) == 50
