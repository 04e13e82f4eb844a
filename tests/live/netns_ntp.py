"""An SNTP responder for the end-to-end test, run inside the sensor's namespace on
its loopback: its clock is --offset seconds ahead. Prints "ready"; stops on SIGTERM."""

import argparse
import signal
import socket
import sys
import time

from shoestring.clock.sntp import SntpError, server_reply


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--offset", type=float, default=0.0)
    a = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", a.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        data, peer = sock.recvfrom(512)
        now = time.time() + a.offset
        try:
            sock.sendto(server_reply(data, now, now), peer)
        except SntpError:
            continue


if __name__ == "__main__":
    main()
