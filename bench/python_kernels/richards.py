"""richards: Martin Richards' operating-system task scheduler simulation (idle, worker, two
handlers, two devices passing packets); a run checks its packet and hold counts (23246, 9297)."""

from __future__ import annotations

from collections.abc import Callable

from pyfaasm.core import get_input, set_output

IDLE, WORKER, HANDLER_A, HANDLER_B, DEVICE_A, DEVICE_B = range(1, 7)
DEVICE_PACKET, WORK_PACKET = 1000, 1001
BUFFER = 4


class Packet:
    def __init__(self, link: Packet | None, ident: int, kind: int) -> None:
        self.link, self.ident, self.kind = link, ident, kind
        self.datum = 0
        self.data = [0] * BUFFER

    def append_to(self, queue: Packet | None) -> Packet:
        self.link = None
        if queue is None:
            return self
        last = queue
        while last.link is not None:
            last = last.link
        last.link = self
        return queue


class Task:
    def __init__(
        self,
        scheduler: Scheduler,
        ident: int,
        priority: int,
        queue: Packet | None,
        run: Callable[[Task, Packet | None], Task | None],
    ) -> None:
        self.scheduler, self.ident, self.priority, self.queue, self.run = (
            scheduler,
            ident,
            priority,
            queue,
            run,
        )
        self.link = scheduler.tasks
        self.pending, self.waiting, self.holding = queue is not None, False, False
        self.destination = 0
        self.count = 0
        self.work_in: Packet | None = None
        self.device_in: Packet | None = None
        self.device_packet: Packet | None = None
        scheduler.tasks = self
        scheduler.table[ident] = self

    def blocked(self) -> bool:
        return self.holding or (not self.pending and self.waiting)

    def step(self) -> Task | None:
        message = None
        if self.waiting and self.pending:
            message = self.queue
            assert message is not None
            self.queue = message.link
            self.waiting, self.pending = False, self.queue is not None
        return self.run(self, message)

    def wait(self) -> Task:
        self.waiting = True
        return self

    def hold(self) -> Task | None:
        self.scheduler.holds += 1
        self.holding = True
        return self.link

    def release(self, ident: int) -> Task:
        task = self.scheduler.table[ident]
        task.holding = False
        return task if task.priority > self.priority else self

    def send(self, packet: Packet) -> Task:
        target = self.scheduler.table[packet.ident]
        self.scheduler.packets += 1
        packet.link, packet.ident = None, self.ident
        if target.queue is None:
            target.queue, target.pending = packet, True
            return target if target.priority > self.priority else self
        target.queue = packet.append_to(target.queue)
        return self


def idle(task: Task, _: Packet | None) -> Task | None:
    task.count -= 1
    if task.count == 0:
        return task.hold()
    seed = task.destination
    if seed & 1 == 0:
        task.destination = seed >> 1
        return task.release(DEVICE_A)
    task.destination = (seed >> 1) ^ 0xD008
    return task.release(DEVICE_B)


def worker(task: Task, packet: Packet | None) -> Task | None:
    if packet is None:
        return task.wait()
    task.destination = HANDLER_B if task.destination == HANDLER_A else HANDLER_A
    packet.ident, packet.datum = task.destination, 0
    for i in range(BUFFER):
        task.count += 1
        if task.count > 26:
            task.count = 1
        packet.data[i] = ord("A") + task.count - 1
    return task.send(packet)


def handler(task: Task, packet: Packet | None) -> Task | None:
    if packet is not None:
        if packet.kind == WORK_PACKET:
            task.work_in = packet.append_to(task.work_in)
        else:
            task.device_in = packet.append_to(task.device_in)
    work = task.work_in
    if work is not None:
        if work.datum >= BUFFER:
            task.work_in = work.link
            return task.send(work)
        device = task.device_in
        if device is not None:
            task.device_in = device.link
            device.datum = work.data[work.datum]
            work.datum += 1
            return task.send(device)
    return task.wait()


def device(task: Task, packet: Packet | None) -> Task | None:
    if packet is None:
        if task.device_packet is None:
            return task.wait()
        packet, task.device_packet = task.device_packet, None
        return task.send(packet)
    task.device_packet = packet
    return task.hold()


class Scheduler:
    def __init__(self) -> None:
        self.tasks: Task | None = None
        self.table: dict[int, Task] = {}
        self.packets = self.holds = 0

    def run(self) -> tuple[int, int]:
        idler = Task(self, IDLE, 1, None, idle)
        idler.count, idler.destination = 10000, 1
        work = Packet(Packet(None, 0, WORK_PACKET), 0, WORK_PACKET)
        working = Task(self, WORKER, 1000, work, worker)
        working.waiting, working.destination = True, HANDLER_A
        for ident, priority in ((HANDLER_A, 2000), (HANDLER_B, 3000)):
            queue = Packet(None, ident + 2, DEVICE_PACKET)
            queue = Packet(queue, ident + 2, DEVICE_PACKET)
            queue = Packet(queue, ident + 2, DEVICE_PACKET)
            Task(self, ident, priority, queue, handler).waiting = True
        Task(self, DEVICE_A, 4000, None, device).waiting = True
        Task(self, DEVICE_B, 5000, None, device).waiting = True
        task = self.tasks
        while task is not None:
            task = task.link if task.blocked() else task.step()
        return self.packets, self.holds


def main_func() -> None:
    results = {Scheduler().run() for _ in range(int(get_input() or b"10"))}
    if results != {(23246, 9297)}:
        raise AssertionError(f"richards went wrong: {results}")
    set_output("23246 9297")


if __name__ == "__main__":
    main_func()
