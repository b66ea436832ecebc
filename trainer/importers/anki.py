"""Anki "Notes in Plain Text" exports: one markdown note per row.

The file starts with header lines (Anki 2.1.55+)::

    #separator:tab          tab, comma, semicolon, space, pipe, colon, or the character itself
    #html:true              fields hold HTML
    #tags:a b               tags for every note
    #columns:Front	Back	Tags
    #notetype column:1      1-based columns that are not note fields
    #deck column:2          each row's deck: the folder its note goes into (``A::B`` → ``A/B``)
    #guid column:3
    #tags column:5

Rows are read with :mod:`csv` (fields may be quoted with ``"``, holding separators, newlines
and doubled quotes). The first note field is the question, turned into one line of text; the
second is the answer, HTML turned into markdown with ``markdownify``; further fields follow
as sections of their own. Anki tags (space-separated, ``::`` nesting) become ``tags`` with
``/`` nesting. Cloze fronts (``{{c1::Paris::city}}``) become ``[...]`` in the question.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from functools import cache

from trainer.importers.dedupe import body_key
from trainer.importers.markdown import Prepared, SourceError, log_state, new_card_values
from trainer.textsafe import markup_escaped
from trainer.notes.parse import NoteError, decode
from trainer.notes.write import edit_frontmatter, encode

_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_HEADER = re.compile(r"^#([A-Za-z][A-Za-z ]*):(.*)$")
_KNOWN = {"separator", "html", "tags", "columns", "notetype", "deck", "notetype column", "deck column",
          "guid column", "tags column", "if matches"}
_HTML_HINT = re.compile(r"<[A-Za-z/!][^>]*>|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.S)


def looks_like_export(head: bytes) -> bool:
    """Whether a ``.txt`` found inside a folder is an Anki export (it starts with a header)."""
    text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "ignore")
    m = _HEADER.match(text.split("\n", 1)[0].rstrip("\r"))
    return bool(m and m.group(1).strip().lower() in _KNOWN)


@dataclass
class Row:
    number: int
    """1-based among the data rows."""
    line: int
    """Line of the file the row starts on."""
    fields: list[str]
    names: list[str]
    tags: list[str]
    deck: str = ""
    """Its Anki deck (``#deck column:``, else the ``#deck:`` header): the folder it goes into."""


@dataclass
class Export:
    html: bool | None
    rows: list[Row] = field(default_factory=list)
    separator: str = "\t"


def _separator(value: str) -> str:
    v = value.strip()
    if v.lower() in _SEPARATORS:
        return _SEPARATORS[v.lower()]
    if value in ("\t", " "):
        return value
    if len(v) == 1:
        return v
    raise SourceError(f"#separator:{value} is not a separator Anki knows")


def _column(value: str, key: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise SourceError(f"#{key}:{value} is not a column number") from None
    if n < 1:
        raise SourceError(f"#{key}:{value} must be 1 or more")
    return n - 1


def clean_tag(tag: str) -> str:
    tag = "".join(ch for ch in tag if unicodedata.category(ch)[0] != "C")
    return "/".join(p for p in tag.replace("::", "/").split("/") if p.strip())


def read_export(raw: bytes) -> Export:
    """Parse the whole export; raises :class:`SourceError` for a file that is not one."""
    try:
        text, _ = decode(raw.replace(b"\x00", b""))  # NUL has no place in a note; Anki never writes it
    except NoteError as exc:  # an export is a file, not a note (a spreadsheet saved it in GBK or cp1252)
        raise SourceError(f"file: {exc}".replace("save the note", "save the file")) from None
    headers: dict[str, str] = {}
    pos = 0
    line_no = 1
    while pos < len(text) and text.startswith("#", pos):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        line = text[pos:end].rstrip("\r\n")
        m = _HEADER.match(line)
        if m and m.group(1).strip().lower() in _KNOWN:
            headers[m.group(1).strip().lower()] = m.group(2)
        pos = end
        line_no += 1
    data = text[pos:]
    if "separator" in headers:
        sep = _separator(headers["separator"])
    else:
        first = data.split("\n", 1)[0]
        sep = next((c for c in ("\t", "|", ";", ",") if c in first), "\t")
    html: bool | None = None
    if "html" in headers:
        html = headers["html"].strip().lower() in ("true", "1", "yes")
    special = {}
    for key in ("notetype column", "deck column", "guid column", "tags column"):
        if key in headers:
            special[key] = _column(headers[key], key)
    skip = set(special.values())
    names = headers["columns"].split(sep) if "columns" in headers else []
    global_tags = [clean_tag(t) for t in headers.get("tags", "").split()]
    export = Export(html=html, separator=sep)
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=sep, quotechar='"', doublequote=True, strict=False)
    number = 0
    start = line_no
    try:
        for cols in reader:
            row_line = start
            start = line_no + reader.line_num
            if not cols or all(not c.strip() for c in cols):
                continue
            number += 1
            tags = list(global_tags)
            if "tags column" in special and special["tags column"] < len(cols):
                tags.extend(clean_tag(t) for t in cols[special["tags column"]].split())
            deck = headers.get("deck", "").strip()
            if "deck column" in special and special["deck column"] < len(cols):
                deck = cols[special["deck column"]].strip() or deck
            keep = [i for i in range(len(cols)) if i not in skip]
            export.rows.append(
                Row(
                    number=number,
                    line=row_line,
                    fields=[cols[i] for i in keep],
                    names=[names[i].strip() if i < len(names) else "" for i in keep],
                    tags=[t for i, t in enumerate(tags) if t and t not in tags[:i]],
                    deck=deck,
                )
            )
    except csv.Error as exc:
        raise SourceError(f"line {start}: {exc}") from None
    if not export.rows:
        raise SourceError("no notes found (is this an Anki 'Notes in Plain Text' export?)")
    if "tags column" not in special and "columns" not in headers and _third_is_tags(export.rows):
        for row in export.rows:
            tags = row.tags + [clean_tag(t) for t in row.fields[2].split()]
            row.tags = [t for i, t in enumerate(tags) if t and t not in tags[:i]]
            del row.fields[2:], row.names[2:]
    return export


_TAG_TOKEN = re.compile(r"[\w:/+#-]+(?:\.[\w:/+#-]+)*")


def _third_is_tags(rows: list[Row]) -> bool:
    """Anki's own layout without headers (front, back, tags): every row has three fields and the
    third is empty or a few space-separated words that could only be tags (no HTML, no punctuation
    a sentence would have), and at least one row has some."""
    seen = False
    for row in rows:
        if len(row.fields) != 3:
            return False
        words = row.fields[2].split()
        if len(words) > 12 or not all(_TAG_TOKEN.fullmatch(w) for w in words):
            return False
        if len(words) > 1 and not any(("::" in w or "_" in w or "/" in w or "-" in w) for w in words):
            return False  # several plain words read like a sentence, not like tags
        seen = seen or bool(words)
    return seen


# ---------------------------------------------------------------- HTML


@cache
def _markdown_converter():
    """markdownify (and BeautifulSoup under it) load only when an Anki export has HTML."""
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):
        def convert_img(self, el, text, parent_tags):  # keep images even inside inline contexts
            return super().convert_img(el, text, set(parent_tags) - {"_inline"})

        def escape(self, text, parent_tags):  # (not called in code: markdownify leaves it as it is)
            return as_written(super().escape(text, parent_tags))

    return Converter(heading_style="ATX", bullets="-", newline_style="backslash", escape_underscores=False)


def as_written(text: str) -> str:
    """Text Anki showed as it is, shown so in markdown too (:func:`trainer.textsafe.markup_escaped`):
    a backslash before a ``<`` or ``&`` markdown would read as HTML, outside code and formulas. Without
    it an imported ``List<T>`` or ``<div>`` read ``List`` and nothing, here and in Obsidian."""
    return markup_escaped(text)


_BREAKS = re.compile(r"(?:[ \t]*\\\n[ \t]*){2,}")
_TRAILING_BREAK = re.compile(r"\\\n(?=\n|\Z)")


_ANKI_MATH = re.compile(r"\\\((.+?)\\\)|\[\$\](.+?)\[/\$\]|\\\[(.+?)\\\]|\[\$\$\](.+?)\[/\$\$\]", re.S)
"""Anki's formulas: MathJax ``\\(x\\)`` and ``\\[x\\]``, and the LaTeX tags ``[$]x[/$]`` and ``[$$]x[/$$]``."""
_TAG = re.compile(r"<br\s*/?>|<[^>]*>", re.I)


def _math_spans(value: str, html: bool) -> tuple[str, list[tuple[str, str]]]:
    """Anki's formulas cut out as ``$x$`` / ``$$x$$`` (what the app renders), each replaced by a
    placeholder so that markdownify neither escapes the TeX (``\\pi^*``) nor reads it as HTML."""
    import html as html_lib

    found: list[tuple[str, str]] = []  # (placeholder, $tex$)
    mark = "TRAINERMATH"
    while mark in value:  # a placeholder the field cannot already hold
        mark += "Q"

    def cut(m: re.Match) -> str:
        inline = m.group(1) if m.group(1) is not None else m.group(2)
        tex = inline if inline is not None else (m.group(3) if m.group(3) is not None else m.group(4))
        if html:
            tex = html_lib.unescape(_TAG.sub(" ", tex)).replace("\xa0", " ")
        tex = " ".join(tex.split())
        found.append((f"{mark}{len(found)}X", f"${tex}$" if inline is not None else f"$${tex}$$"))
        return found[-1][0]

    return _ANKI_MATH.sub(cut, value), found


def _math_back(text: str, found: list[tuple[str, str]]) -> str:
    for placeholder, tex in reversed(found):  # TRAINERMATH10X before TRAINERMATH1X
        text = text.replace(placeholder, tex, 1)
    return text


def is_html(value: str, html: bool | None) -> bool:
    return html if html is not None else bool(_HTML_HINT.search(value))


def to_markdown(value: str, html: bool | None) -> str:
    """A field as markdown: HTML through markdownify, ``<br>`` as line breaks, entities decoded."""
    value, maths = _math_spans(value, is_html(value, html))
    if is_html(value, html):
        md = _markdown_converter().convert(value)
        md = _BREAKS.sub("\n\n", md)
        md = _TRAILING_BREAK.sub("", md)
    else:
        md = as_written(value.replace("\r\n", "\n"))
    md = md.replace("\xa0", " ")
    lines = [ln.rstrip(" \t") if not ln.endswith("\\") else ln for ln in md.split("\n")]
    md = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return _math_back(md.strip("\n"), maths)


def to_line(value: str, html: bool | None) -> str:
    """A field as one line of plain text (for the ``# `` question)."""
    value, maths = _math_spans(value, is_html(value, html))
    if is_html(value, html):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(value, "html.parser")
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for block in soup.find_all(["div", "p", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"]):
            block.insert_after("\n")
        for tag in soup.find_all(["script", "style"]):
            tag.decompose()
        value = soup.get_text()
    value = _LINE_BREAK.sub(lambda m: _joint(m, value), value)
    value = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return _math_back(" ".join(value.split()), maths)


_LINE_BREAK = re.compile(r"\s*\n\s*")


def _joint(m: re.Match, text: str) -> str:
    """What a line break becomes in a one-line question: a space, but nothing between two CJK
    characters (``多行<br>问题？`` is one run of text, ``多行问题？``: Chinese puts no space there)."""
    before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
    wide = ("W", "F")
    return "" if before and after and unicodedata.east_asian_width(before) in wide \
        and unicodedata.east_asian_width(after) in wide else " "


def prepare_row(
    row: Row, export: Export, *, source: str, created: dt.date, today: dt.date
) -> tuple[Prepared, str]:
    """The note for one row, and the text its file name is made from."""
    front = row.fields[0] if row.fields else ""
    back = row.fields[1] if len(row.fields) > 1 else ""
    html = export.html
    cloze_answer = ""
    if _CLOZE.search(front):
        bold = ("<b>{}</b>" if is_html(front, html) else "**{}**").format
        cloze_answer = to_markdown(_CLOZE.sub(lambda m: bold(m.group(1)), front), html)
        front = _CLOZE.sub(lambda m: f"[{m.group(2)}]" if m.group(2) else "[...]", front)
    question = to_line(front, html)
    parts: list[str] = []
    if question:
        parts.append(f"# {as_written(question)}")
    else:
        front_md = to_markdown(front, html)
        if front_md:
            parts.append(front_md)
    answer = "\n\n".join(p for p in (cloze_answer, to_markdown(back, html)) if p)
    if answer:
        parts.append(f"## Answer\n\n{answer}")
    for i in range(2, len(row.fields)):
        extra = to_markdown(row.fields[i], html)
        if extra:
            title = to_line(row.names[i], False) if i < len(row.names) and row.names[i] else f"Field {i + 1}"
            parts.append(f"## {as_written(title)}\n\n{extra}")
    body = "\n\n".join(parts) + "\n"
    values = new_card_values({}, created, today, list(row.tags))
    try:
        text = edit_frontmatter(body, values).text
    except NoteError as exc:  # pragma: no cover - the values are ours
        raise SourceError(str(exc)) from None
    prepared = Prepared(
        data=encode(text, False),
        body=body,
        question=question or "",
        key=body_key(body),
        brought={"tags": list(row.tags)},
        after=log_state(values, created, today, source),
    )
    return prepared, question
