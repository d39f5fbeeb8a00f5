from streams.reviewing.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_a_success_clears_the_names_failures() -> None:
    clock = Clock()
    throttle = LoginThrottle(per_user=2, per_address=10, window_s=60, clock=clock)
    throttle.failed("rita", "10.0.0.1")
    clock.now += 30
    throttle.failed("rita", "10.0.0.1")
    assert throttle.retry_after("rita", "10.0.0.2") == 30  # the first failure leaves the window in 30 s
    clock.now += 31
    assert throttle.retry_after("rita", "10.0.0.2") is None
    throttle.failed("rita", "10.0.0.1")
    throttle.succeeded("rita")
    assert throttle.retry_after("rita", "10.0.0.1") is None
