#!/usr/bin/env python3
"""faultproxy: a Docker engine that misbehaves on purpose, for sbx's tests.

Listens on a Unix socket and forwards every connection to the real engine's
socket, parsing the HTTP requests that go through (keep-alive, chunked
request bodies, hijacked connections after an Upgrade request), and injects
one fault into the answer to the requests that match:

  --fault none       forward everything (logs the requests)
  --fault drop:N     forward the request, then close both sides after N bytes
                     of the answer (0: the engine acts, the client hears nothing)
  --fault stall:T    forward the request, hold the answer T seconds (or until
                     the engine closes the connection), go on
  --fault 500, 503   answer that status with a JSON message; the request
                     never reaches the engine
  --fault garbage    answer bytes that are not HTTP, then close
  --fault chunk      answer 200 chunked with a chunk cut short, then close
  --fault http10     forward, and rewrite the answer as HTTP/1.0 with
                     "Connection: close" (the body ends when the connection
                     does; a 101 upgrade becomes a 200 with a raw stream)

  --match REGEX      only requests whose path (after the /vX.Y prefix, with
                     the query) matches (re.search); default every request
  --method M         only requests with this method
  --skip K           let the first K matching requests through untouched
  --times N          fault at most N requests (0: every one; default 0)
  --log FILE         one line per request: "METHOD PATH fault|pass"

Prints "ready" on stdout once it listens.  Ends on SIGTERM/SIGINT.
"""
import argparse
import os
import re
import select
import signal
import socket
import sys
import threading
import time

HEAD_MAX = 64 * 1024


class Reader:
    """Buffered reads from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > HEAD_MAX:
                raise EOFError
            self.fill()
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > HEAD_MAX:
                raise EOFError
            self.fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def some(self, n):
        """Up to n bytes (at least one)."""
        if not self.buf:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def header(head, name):
    for ln in head.split(b"\r\n")[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == name:
            return v.strip().decode("latin-1")
    return None


def body_chunks(r, head):
    """Yield the raw bytes of the body that follows head (as sent)."""
    te = (header(head, b"transfer-encoding") or "").lower()
    if "chunked" in te:
        while True:
            ln = r.line()
            yield ln
            size = int(ln.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    t = r.line()
                    yield t
                    if t in (b"\r\n", b"\n"):
                        return
            left = size + 2
            while left:
                d = r.some(left)
                left -= len(d)
                yield d
    n = int(header(head, b"content-length") or "0")
    while n:
        d = r.some(n)
        n -= len(d)
        yield d


def dechunk(r):
    """Yield the decoded data of a chunked body."""
    while True:
        size = int(r.line().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while r.line() not in (b"\r\n", b"\n"):
                pass
            return
        left = size
        while left:
            d = r.some(left)
            left -= len(d)
            yield d
        r.line()


class Policy:
    def __init__(self, a):
        self.kind, _, arg = a.fault.partition(":")
        self.arg = float(arg) if arg else 0
        self.match = re.compile(a.match) if a.match else None
        self.method = a.method
        self.skip = a.skip
        self.times = a.times
        self.seen = 0
        self.hit = 0
        self.lock = threading.Lock()
        self.log = open(a.log, "a", buffering=1) if a.log else None

    def decide(self, method, path):
        """The fault for this request, or None."""
        p = re.sub(r"^/v[0-9.]+/", "/", path)
        f = None
        with self.lock:
            if (self.kind != "none" and (not self.match or self.match.search(p))
                    and (not self.method or self.method == method)):
                self.seen += 1
                if self.seen > self.skip and (self.times == 0 or self.hit < self.times):
                    self.hit += 1
                    f = self.kind
            if self.log:
                self.log.write("%s %s %s\n" % (method, p, f or "pass"))
        return f


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Conn:
    def __init__(self, client, upstream, policy):
        self.client = client
        self.up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.up.connect(upstream)
        self.policy = policy
        self.lock = threading.Lock()
        self.fault = None  # the fault of the answer now coming
        self.count = 0
        self.fresh = False  # a new answer starts with the next byte

    def run(self):
        t = threading.Thread(target=self.answers, daemon=True)
        t.start()
        try:
            self.requests()
        except (EOFError, OSError, ValueError):
            pass
        t.join()
        self.client.close()
        self.up.close()

    def synthetic(self, kind):
        if kind in ("500", "503"):
            msg = b'{"message":"injected fault: HTTP %s"}\n' % kind.encode()
            reason = b"Internal Server Error" if kind == "500" else b"Service Unavailable"
            return (b"HTTP/1.1 %s %s\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (kind.encode(), reason, len(msg))
                    + msg)
        if kind == "garbage":
            return b"\x00\x17\xffGARBAGE not http at all \x01\x02\r\n\r\n{{{{\n"
        if kind == "chunk":
            return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n400\r\n{\"Id\":\"abc")
        return None

    def requests(self):
        r = Reader(self.client)
        while True:
            head = r.head()
            method, path = head.split(b" ", 2)[:2]
            fault = self.policy.decide(method.decode(), path.decode("latin-1"))
            upgrade = header(head, b"upgrade") is not None
            answer = self.synthetic(fault) if fault else None
            if answer is not None:
                for _ in body_chunks(r, head):  # the client sends its body first
                    pass
                self.client.sendall(answer)
                close_both(self.client, self.up)
                return
            with self.lock:
                self.fault, self.count, self.fresh = fault, 0, True
            self.up.sendall(head)
            for d in body_chunks(r, head):
                self.up.sendall(d)
            if upgrade:  # a raw stream from here on
                if r.buf:
                    self.up.sendall(r.buf)
                while True:
                    d = self.client.recv(65536)
                    if not d:
                        self.up.shutdown(socket.SHUT_WR)
                        return
                    self.up.sendall(d)

    def answers(self):
        try:
            r = Reader(self.up)
            while True:
                if not r.buf:
                    r.fill()  # wait for the answer before looking at its fault
                with self.lock:
                    fault, fresh = self.fault, self.fresh
                    self.fresh = False
                if fault and fault.startswith("http10") and fresh:
                    self.http10(r)
                    return
                d = r.some(65536)
                if fault == "stall" and fresh:
                    d += self.hold(r)
                if fault == "drop":
                    left = int(self.policy.arg) - self.count
                    if len(d) >= left:
                        if left > 0:
                            self.client.sendall(d[:left])
                        close_both(self.client, self.up)
                        return
                    self.count += len(d)
                self.client.sendall(d)
        except (EOFError, OSError, ValueError):
            pass
        try:
            self.client.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def hold(self, r):
        """The stall: keep what the engine sends for T seconds, or until
        it closes the connection (then it all goes at once)."""
        end = time.monotonic() + self.policy.arg
        kept = b""
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return kept
            ready, _, _ = select.select([self.up], [], [], left)
            if ready:
                d = self.up.recv(65536)
                if not d:
                    return kept
                kept += d

    def http10(self, r):
        head = r.head()
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ", 2)
        code = status[1]
        out = [b"HTTP/1.0 " + (b"200 OK" if code == b"101" else code + b" " + (status[2] if len(status) > 2 else b""))]
        for ln in lines[1:]:
            k = ln.partition(b":")[0].strip().lower()
            if ln and k not in (b"content-length", b"transfer-encoding", b"connection", b"upgrade"):
                out.append(ln)
        out.append(b"Connection: close")
        self.client.sendall(b"\r\n".join(out) + b"\r\n\r\n")
        if code == b"101" or code == b"200" and header(head, b"content-type") and \
                "raw-stream" in header(head, b"content-type"):
            src = None
        elif "chunked" in (header(head, b"transfer-encoding") or "").lower():
            src = dechunk(r)
        else:
            src = body_chunks(r, head)
        try:
            if src is not None:
                for d in src:
                    self.client.sendall(d)
            else:
                while True:
                    self.client.sendall(r.some(65536))
        except (EOFError, OSError):
            pass
        close_both(self.client, self.up)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", default="/var/run/docker.sock")
    ap.add_argument("--fault", default="none")
    ap.add_argument("--match")
    ap.add_argument("--method")
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--times", type=int, default=0)
    ap.add_argument("--log")
    a = ap.parse_args()
    policy = Policy(a)
    try:
        os.unlink(a.listen)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.listen)
    srv.listen(64)
    # Ended by the kernel, whatever its threads are doing.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    print("ready", flush=True)

    def serve(c):
        try:
            Conn(c, a.upstream, policy).run()
        except OSError:
            c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
