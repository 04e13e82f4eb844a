"""MIME entity walking: boundaries, nesting, transfer encodings, hostile structure."""

import base64

from hypothesis import given, settings, strategies as st

from shoestring.analyzers.smtp.mime import MAX_DEPTH, MimeMessage, filename_of


class Sink:
    """Collects one file's bytes."""

    def __init__(self, depth, filename):
        self.depth, self.filename, self.body, self.ended = depth, filename, b"", False

    def data(self, b):
        self.body += b

    def end(self):
        self.ended = True


def walk(text: bytes):
    headers, files = [], []

    def begin(depth, filename):
        files.append(Sink(depth, filename))
        return files[-1]

    m = MimeMessage(lambda n, v: headers.append((n, v)), begin)
    for line in text.split(b"\r\n"):
        m.line(line)
    m.end()
    return headers, files


MESSAGE = b"\r\n".join([
    b"From: a@b.c",
    b"Subject: nested",
    b'Content-Type: multipart/mixed; boundary="outer"',
    b"",
    b"preamble is not content",
    b"--outer",
    b'Content-Type: multipart/alternative; boundary="inner"',
    b"",
    b"--inner",
    b"Content-Type: text/plain",
    b"",
    b"line one",
    b"line two",
    b"--inner",
    b"Content-Type: text/html",
    b"Content-Transfer-Encoding: quoted-printable",
    b"",
    b"<p class=3Dx>soft=",
    b"break</p>",
    b"--inner--",
    b"--outer",
    b"Content-Type: application/octet-stream",
    b"Content-Transfer-Encoding: base64",
    b'Content-Disposition: attachment; filename="x.bin"',
    b"",
    base64.b64encode(b"\x00\x01binary payload\xff")[:12],
    base64.b64encode(b"\x00\x01binary payload\xff")[12:],
    b"--outer--",
    b"epilogue is not content",
])


def test_nested_entities_depths_and_decoding():
    headers, files = walk(MESSAGE)
    assert ("SUBJECT", "nested") in headers and len(headers) == 3   # top level only
    assert [(f.depth, f.filename) for f in files] == [(3, None), (4, None), (5, "x.bin")]
    assert files[0].body == b"line one\r\nline two"          # last CRLF is the boundary's
    assert files[1].body == b"<p class=x>softbreak</p>\r\n"
    assert files[2].body == b"\x00\x01binary payload\xff"
    assert all(f.ended for f in files)


def test_single_part_keeps_every_crlf():
    _, [f] = walk(b"Subject: s\r\n\r\nhello\r\nworld")
    assert f.depth == 1 and f.body == b"hello\r\nworld\r\n"


def test_missing_closing_boundary_ends_at_message_end():
    _, files = walk(b'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nbody')
    assert [f.body for f in files] == [b"body"] and files[0].ended


def test_deep_nesting_is_bounded():
    parts = []
    for i in range(MAX_DEPTH * 3):
        parts += [f'Content-Type: multipart/mixed; boundary="b{i}"'.encode(), b"", f"--b{i}".encode()]
    parts += [b"", b"leaf"]
    _, files = walk(b"\r\n".join(parts))
    assert len(files) <= 1


def test_filename_forms():
    assert filename_of('attachment; filename="a b.txt"') == "a b.txt"
    assert filename_of("text/plain; name=c.txt") == "c.txt"
    assert filename_of("attachment") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(MESSAGE.split(b"\r\n")) | st.binary(max_size=60), max_size=40))
def test_random_line_sequences_never_raise(lines):
    m = MimeMessage(lambda n, v: None, Sink)
    for line in lines:
        m.line(line)
    m.end()
