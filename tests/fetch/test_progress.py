"""Progress lines: a download's bytes of the total, rate and ETA; waits with their limit;
quiet for quick work; in place on a TTY."""
from __future__ import annotations

import io

from ignite import progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_download_meter_says_bytes_of_total_rate_and_eta() -> None:
    clock, said = Clock(), []
    meter = progress.Meter("http://h/big.img", total=100 << 20, clock=clock,
                           say=lambda text, in_place=False: said.append((text, in_place)))
    clock.now += 1.0
    meter.update(10 << 20)  # before the first line is due: quiet
    assert said == []
    clock.now += 1.5
    meter.update(15 << 20)
    assert said == [("fetching http://h/big.img: 25.0 MiB of 100.0 MiB (25%), 10.0 MiB/s, 8 s left", True)]
    clock.now += 1.0
    meter.update(1 << 20)  # within the interval: quiet
    assert len(said) == 1
    clock.now += 5.0
    meter.update(74 << 20)
    meter.done()
    assert said[-1] == ("fetched http://h/big.img: 100.0 MiB in 8.5 s (11.8 MiB/s)", False)


def test_a_quick_download_says_nothing() -> None:
    clock, said = Clock(), []
    meter = progress.Meter("u", total=10, clock=clock, say=lambda text, in_place=False: said.append(text))
    meter.update(10)
    meter.done()
    assert said == []


def test_without_a_total_the_meter_says_bytes_and_rate() -> None:
    clock, said = Clock(), []
    meter = progress.Meter("tftp://h/f", clock=clock, say=lambda text, in_place=False: said.append(text))
    clock.now += 4.0
    meter.update(8 << 20)
    assert said == ["fetching tftp://h/f: 8.0 MiB, 2.0 MiB/s"]


def test_a_wait_says_how_long_of_its_limit() -> None:
    clock, said = Clock(), []
    wait = progress.Waiting("/dev/disk/by-label/ROOT", 90, clock=clock, say=said.append)
    for _ in range(30):
        clock.now += 0.5
        wait.tick()
    assert said == ["waiting for /dev/disk/by-label/ROOT: 2 s of 90", "waiting for /dev/disk/by-label/ROOT: 7 s of 90",
                    "waiting for /dev/disk/by-label/ROOT: 12 s of 90"]


def test_on_a_tty_the_line_is_updated_in_place(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    monkeypatch.setattr("sys.stderr", out)
    progress._say("fetching x: 1 MiB", in_place=True)
    progress._say("fetching x: 2 MiB", in_place=True)
    progress._say("fetched x")
    assert out.getvalue() == ("\r\033[Kignite: fetching x: 1 MiB\r\033[Kignite: fetching x: 2 MiB"
                              "\r\033[Kignite: fetched x\n")
    monkeypatch.setattr("sys.stderr", io.StringIO())
    progress._say("fetching x: 3 MiB", in_place=True)
    assert progress.sys.stderr.getvalue() == "ignite: fetching x: 3 MiB\n"
