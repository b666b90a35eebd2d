#!/usr/bin/python3
"""A local HTTP receiver for test/scripts/notifications.sh.

Listens on 127.0.0.1 (port 0: any free one; the port is written to PORTFILE)
and appends one JSON line {"path", "body", "status"} per POST to LOGFILE.
Paths: /ok/... answers 200; /flaky/... answers 500 to the first POST on that
path and 200 afterwards; /hang/... sleeps HANG seconds before answering 200,
/hang30/... 30 seconds.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, hang = sys.argv[1], sys.argv[2], float(sys.argv[3])
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        with lock:
            seen[self.path] = seen.get(self.path, 0) + 1
            count = seen[self.path]
        status = 200
        if self.path.startswith("/flaky") and count == 1:
            status = 500
        if self.path.startswith("/hang30"):
            time.sleep(30)
        elif self.path.startswith("/hang"):
            time.sleep(hang)
        with lock, open(logfile, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body, "status": status,
                                "type": self.headers.get("Content-Type")}) + "\n")
        try:
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
