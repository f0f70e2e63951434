"""One HTTP/1.0 exchange on stdin/stdout, for slirp's guestfwd=...-cmd:.

slirp runs a command per guest connection with the connection as its
stdin, stdout and stderr, so parallel guest connections get parallel
exchanges (a chardev guestfwd carries only one connection at a time).

    python3 -m xenbed.blobcgi [--gate FILE [--gate-pause SECONDS]] BLOB \
        [QMP_SOCKET QOM_PATH]
    python3 -m xenbed.blobcgi --listen ADDR:PORT BLOB [QMP_SOCKET QOM_PATH]

with QEMU's python/ on PYTHONPATH for /stats (guest.blobcgi_argv()).

The second form serves the same exchanges on a TCP socket, one forked
process per connection (for a tap network in its own namespace).

GET /blob      the file BLOB
POST /upload   "<sha256 of the body> <bytes>\\n"
GET /stats     query-xen-net's entry for QOM_PATH, one line of JSON

With --gate, blobs and uploads move at 256 KiB/s per exchange (64 KiB,
then a pause of 0.25 s, or --gate-pause) until FILE exists, then at full
speed: flows that stay open, moving data, until the test opens the gate
(after a migration, say).
"""

import hashlib
import json
import os
import sys
import time

CHUNK = 1 << 16
GATED_PAUSE = 0.25      # after each chunk: 256 KiB/s per exchange


def xen_net_info(sock_path, qom_path):
    """query-xen-net's XenNetInfo of the device at qom_path, as JSON."""
    from qemu.qmp.legacy import QEMUMonitorProtocol

    qmp = QEMUMonitorProtocol(sock_path)
    qmp.connect()
    try:
        qmp.settimeout(10)
        infos = qmp.cmd("query-xen-net")
    finally:
        qmp.close()
    [info] = [i for i in infos if i["path"] == qom_path]
    return json.dumps(info, separators=(",", ":")) + "\n"


def main(argv):
    gate, pause = None, GATED_PAUSE
    if argv[1] == "--gate":
        gate, argv = argv[2], argv[:1] + argv[3:]
    if argv[1] == "--gate-pause":
        pause, argv = float(argv[2]), argv[:1] + argv[3:]

    def pace():
        if gate and not os.path.exists(gate):
            time.sleep(pause)

    # slirp may hand over its socket end in non-blocking mode.
    os.set_blocking(0, True)
    os.set_blocking(1, True)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    request = inp.readline().decode("latin-1").split()
    headers = {}
    while True:
        line = inp.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    method, path = (request + ["", ""])[:2]
    status = b"200 OK"
    if method == "GET" and path == "/blob":
        with open(argv[1], "rb") as f:
            body = f.read()
    elif method == "POST" and path == "/upload":
        left = int(headers.get("content-length", "0"))
        digest, total = hashlib.sha256(), 0
        while left > 0:
            chunk = inp.read1(min(left, CHUNK))
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
            left -= len(chunk)
            pace()
        body = f"{digest.hexdigest()} {total}\n".encode()
    elif method == "GET" and path == "/stats" and len(argv) > 3:
        try:
            body = xen_net_info(argv[2], argv[3]).encode()
        except Exception as exc:
            # 200: busybox wget drops the body of an error; the guest
            # reports this line and the test shows it.
            body = f"error: {exc!r}\n".encode()
    else:
        status, body = b"404 Not Found", b""
    out.write(b"HTTP/1.0 " + status + b"\r\nContent-Type: "
              b"application/octet-stream\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\n\r\n")
    for offset in range(0, len(body), CHUNK):
        out.write(body[offset:offset + CHUNK])
        out.flush()
        pace()
    out.flush()


def listen(address, argv):
    import socketserver

    class Exchange(socketserver.BaseRequestHandler):
        def handle(self):
            os.dup2(self.request.fileno(), 0)
            os.dup2(self.request.fileno(), 1)
            main(argv)

    host, _, port = address.rpartition(":")
    socketserver.ForkingTCPServer.allow_reuse_address = True
    with socketserver.ForkingTCPServer((host, int(port)), Exchange) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "--listen":
        listen(sys.argv[2], sys.argv[:1] + sys.argv[3:])
    else:
        main(sys.argv)
