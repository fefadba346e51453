"""An SMTP server that accepts everything and only counts it: the benchmark's mail sink.

Run as its own process (python bench/smtp_sink.py PORT COUNT_FILE) so that it does not share
an interpreter with the sender being measured. It writes the number of messages received to
COUNT_FILE whenever asked with SIGUSR1 and when it stops.
"""

import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    port, count_file = int(sys.argv[1]), Path(sys.argv[2])
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()

    def report(*_):
        count_file.write_text(str(counter.count))

    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    report()


if __name__ == "__main__":
    main()
