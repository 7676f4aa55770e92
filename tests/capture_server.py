"""Local web servers for the capture tests: HTTP and HTTPS on 127.0.0.1, never the internet."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>Oil for arms | Harbour News</title>
<meta property="og:site_name" content="Harbour News"><meta name="author" content="Jo Reporter">
<meta property="article:published_time" content="2024-03-05T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav><article><h1>Oil for arms</h1>
<p>Satellite pictures show North Korean tankers at the Vostochny terminal in the Russian Far
East. Researchers counted at least 43 visits in eight months.</p>
<p>“A million barrels is nothing for a major oil producer like Russia to release, but it is a
substantial amount for North Korea to receive”, says Go Myong-hyun, senior researcher.</p>
<p>The United Nations caps North Korea's imports of refined petroleum at 500,000 barrels a
year, a limit that the shipments appear to exceed by a wide margin.</p>
</article><footer>© Harbour News</footer></body></html>"""

RUSSIAN = (
    "Северокорейские танкеры по меньшей мере 43 раза заходили в нефтяной терминал Восточный "
    "на Дальнем Востоке России за восемь месяцев, сообщают исследователи. Спутниковые снимки "
    "показывают суда у причала."
)
KOREAN = (
    "북한 유조선들이 8개월 동안 러시아 극동의 보스토치니 석유 터미널을 최소 43차례 "
    "방문했다고 연구원들이 밝혔다. 위성 사진에는 부두에 정박한 선박들이 보인다."
)
JAPANESE = (
    "北朝鮮のタンカーが8か月間にロシア極東のボストーチヌイ石油ターミナルに少なくとも43回"
    "寄港したと研究者らが明らかにした。衛星写真には岸壁に停泊する船が写っている。"
)


def page(text: str, meta: str = "") -> str:
    return (
        f"<!doctype html><html><head>{meta}<title>Report</title></head>"
        f"<body><article><p>{text}</p><p>{text}</p></article></body></html>"
    )


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer says `text` (Helvetica, ASCII)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PDF_TEXT = "The terminal received 43 tanker visits in eight months."


class Site:
    """What the test server answers: path -> (status, headers, body) or a callable."""

    def __init__(self):
        self.routes: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.chunked: set[str] = set()
        self.hits: dict[str, int] = {}

    def add(self, path, body, status=200, content_type="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        extra = [("Content-Type", content_type)] if content_type else []
        self.routes[path] = (status, extra + list(headers), body)

    def redirect(self, path, to, status=302):
        self.routes[path] = (status, [("Location", to)], b"")


def default_site(big_bytes: int = 2_200_000) -> Site:
    site = Site()
    site.add("/article", ARTICLE)
    site.redirect("/old", "/moved", 301)
    site.redirect("/moved", "/article", 302)
    site.redirect("/loop", "/loop", 302)
    site.add("/gzip", gzip.compress(ARTICLE.encode()), headers=[("Content-Encoding", "gzip")])
    site.add("/chunked", ARTICLE)
    site.chunked.add("/chunked")
    site.add(
        "/cp1251",
        page(RUSSIAN).encode("cp1251"),
        content_type="text/html; charset=windows-1251",
    )
    site.add("/cp1251-undeclared", page(RUSSIAN).encode("cp1251"), content_type="text/html")
    site.add(
        "/euc-kr",
        page(KOREAN, '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">').encode(
            "euc_kr"
        ),
        content_type="text/html",
    )
    site.add("/shift-jis", page(JAPANESE).encode("shift_jis"), content_type="text/html")
    site.add("/doc.pdf", make_pdf(PDF_TEXT), content_type="application/pdf")
    site.add("/missing", page("This page does not exist."), status=404)
    site.add("/broken", page("Internal error."), status=500)
    paragraph = "<p>" + "Tankers moored at the terminal. " * 30 + "</p>\n"
    big = "<html><head><title>Big</title></head><body><article>"
    big += paragraph * (big_bytes // len(paragraph) + 1) + "</article></body></html>"
    site.add("/big", big)
    return site


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        self.site.hits[path] = self.site.hits.get(path, 0) + 1
        route = self.site.routes.get(path)
        if route is None:
            status, headers, body = 404, [("Content-Type", "text/plain")], b"not found"
        else:
            status, headers, body = route
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if path in self.site.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 100):
                piece = body[start : start + 100]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@contextlib.contextmanager
def serve(site: Site, tls_context: ssl.SSLContext | None = None):
    """Serve `site` on 127.0.0.1; yields the base URL."""
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server(hold: float = 30.0):
    """Accepts connections and never answers (for timeouts); yields the base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    held = []

    def accept():
        listener.settimeout(0.2)
        deadline = time.monotonic() + hold
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
