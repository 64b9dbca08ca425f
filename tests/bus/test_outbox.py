"""The MQTT bus's outbox bookkeeping, without a broker."""

from __future__ import annotations

from artguard.bus.outbox import Outbox, Outgoing


def item(seq: int) -> Outgoing:
    return Outgoing(seq=seq, topic=f"t/{seq}", payload=b"{}")


def fill(outbox: Outbox, seqs: range, *, awaited: bool = True) -> None:
    for seq in seqs:
        assert outbox.add(item(seq), awaited=awaited)


def seqs(batch: list[Outgoing]) -> list[int]:
    return [o.seq for o in batch]


def sent(outbox: Outbox, batch: list[Outgoing]) -> None:
    """The broker acknowledged every item of ``batch``."""
    for one in batch:
        outbox.acked(one)


def test_the_echo_window_holds_back_awaited_events_until_echoes_return() -> None:
    outbox = Outbox(max_queued=100, window=3)
    fill(outbox, range(1, 6))
    batch = outbox.next_batch(10)
    assert seqs(batch) == [1, 2, 3]
    sent(outbox, batch)
    assert not outbox.has_sendable()
    assert outbox.echoed(1)
    assert outbox.has_sendable()
    assert seqs(outbox.next_batch(10)) == [4]


def test_events_nobody_awaits_do_not_use_the_window() -> None:
    outbox = Outbox(max_queued=100, window=1)
    fill(outbox, range(1, 4), awaited=False)
    batch = outbox.next_batch(10)
    assert seqs(batch) == [1, 2, 3]
    assert outbox.awaiting == 0
    assert not outbox.settled.is_set()  # not acknowledged yet
    sent(outbox, batch)
    assert outbox.settled.is_set()


def test_a_full_outbox_drops_the_oldest_event_not_in_flight() -> None:
    outbox = Outbox(max_queued=3, window=10)
    fill(outbox, range(1, 4))
    assert seqs(outbox.next_batch(1)) == [1]  # 1 is in flight
    assert outbox.add(item(4), awaited=True)
    assert (outbox.dropped, outbox.queued, outbox.awaiting) == (1, 3, 3)
    outbox.send_failed()
    assert seqs(outbox.next_batch(10)) == [1, 3, 4]


def test_when_everything_queued_is_in_flight_the_new_event_is_dropped() -> None:
    outbox = Outbox(max_queued=2, window=10)
    fill(outbox, range(1, 3))
    outbox.next_batch(10)
    assert not outbox.add(item(3), awaited=True)
    assert (outbox.dropped, outbox.queued, outbox.awaiting) == (1, 2, 2)


def test_an_echo_is_delivered_once_and_the_outbox_settles() -> None:
    outbox = Outbox(max_queued=10, window=10)
    fill(outbox, range(1, 3))
    sent(outbox, outbox.next_batch(10))
    assert not outbox.settled.is_set()
    assert outbox.echoed(1)
    assert not outbox.echoed(1)
    assert not outbox.echoed(99)  # never published by us, or nobody wanted it
    assert outbox.echoed(2)
    assert outbox.settled.is_set()


def test_unechoed_events_are_queued_again_ahead_of_newer_ones() -> None:
    outbox = Outbox(max_queued=10, window=2)
    fill(outbox, range(1, 4))
    sent(outbox, outbox.next_batch(10))  # 1 and 2 sent; 3 waits for the window
    assert outbox.echoed(1)
    assert outbox.requeue_unechoed() == 1
    batch = outbox.next_batch(10)
    assert seqs(batch) == [2, 3]  # a resend does not need room in the window
    sent(outbox, batch)
    assert outbox.requeue_unechoed() == 2
    assert outbox.echoed(2) and outbox.echoed(3)
    assert outbox.requeue_unechoed() == 0


def test_a_failed_send_keeps_the_batch_for_next_time() -> None:
    outbox = Outbox(max_queued=10, window=10)
    fill(outbox, range(1, 4))
    assert seqs(outbox.next_batch(2)) == [1, 2]
    outbox.send_failed()
    assert seqs(outbox.next_batch(10)) == [1, 2, 3]


def test_an_echo_may_come_back_before_the_puback() -> None:
    outbox = Outbox(max_queued=10, window=10)
    fill(outbox, range(1, 2))
    batch = outbox.next_batch(10)
    assert outbox.echoed(1)
    assert not outbox.settled.is_set()  # the broker has not acknowledged it yet
    sent(outbox, batch)
    assert outbox.settled.is_set()


def test_pubacks_are_handled_one_by_one_in_any_order() -> None:
    outbox = Outbox(max_queued=3, window=10)
    fill(outbox, range(1, 4), awaited=False)
    batch = outbox.next_batch(10)
    assert outbox.full and outbox.room() == 0
    outbox.acked(batch[1])
    assert (outbox.queued, outbox.in_flight, outbox.room()) == (2, 2, 1)
    assert outbox.add(item(4), awaited=False)  # room for one more, nothing dropped
    outbox.acked(batch[1])  # a second PUBACK for the same item changes nothing
    assert (outbox.queued, outbox.dropped) == (3, 0)
    outbox.acked(batch[2])
    outbox.acked(batch[0])
    assert seqs(outbox.next_batch(10)) == [4]


def test_a_lost_connection_sends_what_was_in_flight_again_before_newer_events() -> None:
    outbox = Outbox(max_queued=10, window=10)
    fill(outbox, range(1, 5))
    batch = outbox.next_batch(3)
    outbox.acked(batch[0])
    assert outbox.send_failed() == 2
    assert seqs(outbox.next_batch(10)) == [2, 3, 4]


def test_a_refused_event_is_neither_resent_nor_awaited() -> None:
    outbox = Outbox(max_queued=10, window=10)
    fill(outbox, range(1, 3))
    first, second = outbox.next_batch(10)
    outbox.refuse(first)
    outbox.acked(second)
    assert (outbox.refused, outbox.awaiting, outbox.unechoed) == (1, 1, 1)
    assert outbox.requeue_unechoed() == 1  # only the accepted one can still come back
    assert not outbox.echoed(1)
    outbox.acked(outbox.next_batch(10)[0])
    assert outbox.echoed(2)
    assert outbox.settled.is_set()
