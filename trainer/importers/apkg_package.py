"""Opening an Anki package (``.apkg`` deck, ``.colpkg`` collection) without trusting it.

Layouts, as Anki 2.1.50+ and 23.x write them (rslib/src/import_export/package/meta.rs):

- modern: a ``meta`` member (protobuf ``PackageMetadata``, version 3), ``collection.anki21b``
  (the SQLite database, zstd-compressed), a ``media`` map (zstd-compressed protobuf
  ``MediaEntries``: the n-th entry names zip member ``"n"``), media members zstd-compressed, and
  a placeholder ``collection.anki2`` that only says "please update Anki" (never imported);
- legacy: ``collection.anki21`` (or ``collection.anki2``) uncompressed, a JSON ``media`` map
  ``{"0": "name.jpg"}``, media members stored as they are.

Nothing here writes to the package or uses a member name as a path: members are read by the
names above, media are read into memory and their names only ever reach the deck through
:func:`trainer.importers.apkg_media.safe_media_name`. Every read is capped (:class:`Limits`):
declared sizes are not believed, the bytes are counted as they come out of the decompressor.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from trainer.importers.markdown import SourceError

SUFFIXES = (".apkg", ".colpkg")
_LATEST = 3
_CHUNK = 1 << 20
#: What a damaged or unreadable member raises from zipfile, zlib and zstandard (RuntimeError: encrypted).
_DAMAGED = (zipfile.BadZipFile, zlib.error, zstandard.ZstdError, EOFError, ValueError, NotImplementedError, RuntimeError)


class PackageError(SourceError):
    """The package cannot be imported (not a zip, damaged, too large …); the message says why."""


@dataclass(frozen=True)
class Limits:
    """Caps against zip bombs: bytes that may come out of one member, and out of all media."""

    collection: int = 4 << 30
    media_file: int = 256 << 20
    media_total: int = 8 << 30
    media_map: int = 64 << 20
    members: int = 2_000_000


# ---------------------------------------------------------------- protobuf


def read_protobuf(buf: bytes) -> list[tuple[int, int | bytes]]:
    """The top-level fields of a protobuf message as (field number, value) pairs.

    Anki's media map and notetype configs are small protobuf messages. The ``protobuf`` package
    would need Anki's .proto files compiled into generated code kept in this repository for four
    fields we read; this reader of the wire format (varints and length-delimited fields, fixed
    32/64-bit values skipped over) is all they need. Raises ValueError on a truncated message.
    """
    out: list[tuple[int, int | bytes]] = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise ValueError("truncated protobuf field")
            out.append((number, buf[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                raise ValueError("truncated protobuf field")
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated protobuf varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


# ---------------------------------------------------------------- the package


@dataclass
class Package:
    """An open package: which layout, where its collection is, what its media map says."""

    path: Path
    zf: zipfile.ZipFile
    modern: bool
    collection_member: str
    media: dict[str, str] = field(default_factory=dict)
    """Media file name (as the notes spell it) → zip member name."""
    limits: Limits = field(default_factory=Limits)
    media_read: int = 0

    def close(self) -> None:
        self.zf.close()

    def _member(self, name: str) -> zipfile.ZipInfo:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise PackageError(f"{name} is missing from the package") from None
        if stat.S_ISLNK(info.external_attr >> 16):
            raise PackageError(f"{name} is a symlink in the package; refused")
        return info

    def _read(self, name: str, limit: int, *, compressed: bool) -> bytes:
        """A member's bytes (zstd-decoded when ``compressed``), at most ``limit`` of them."""
        out = io.BytesIO()
        self._copy(name, out, limit, compressed=compressed)
        return out.getvalue()

    def _copy(self, name: str, dest, limit: int, *, compressed: bool) -> int:
        info = self._member(name)
        total = 0
        try:
            with self.zf.open(info) as raw:
                src = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True) if compressed else raw
                while True:
                    chunk = src.read(_CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limit:
                        raise PackageError(f"{name} unpacks to more than {limit >> 20} MiB; refused (a zip bomb?)")
                    dest.write(chunk)
        except PackageError:
            raise
        except _DAMAGED as exc:
            raise PackageError(f"{name} in the package is damaged: {exc}") from None
        return total

    def extract_collection(self, folder: Path) -> Path:
        """The collection database, unpacked into ``folder`` (a temp folder of ours)."""
        dest = folder / "collection.sqlite"
        with open(dest, "wb") as fh:
            self._copy(self.collection_member, fh, self.limits.collection, compressed=self.modern)
        return dest

    def media_bytes(self, name: str) -> bytes | None:
        """The bytes of the media file the notes call ``name``; None when the package lacks it."""
        member = self.media.get(name)
        if member is None or member not in self.zf.NameToInfo:
            return None
        data = self._read(member, self.limits.media_file, compressed=self.modern)
        self.media_read += len(data)
        if self.media_read > self.limits.media_total:
            raise PackageError(f"media unpack to more than {self.limits.media_total >> 20} MiB; refused")
        return data


def open_package(path: Path, limits: Limits | None = None) -> Package:
    """Open ``path`` and read its layout and media map; raises :class:`PackageError`."""
    limits = limits or Limits()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
        raise PackageError(f"not an Anki package (not a zip file: {exc})") from None
    except OSError as exc:
        raise PackageError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        return _layout(path, zf, limits)
    except BaseException:
        zf.close()
        raise


def _layout(path: Path, zf: zipfile.ZipFile, limits: Limits) -> Package:
    if len(zf.infolist()) > limits.members:
        raise PackageError(f"the package has more than {limits.members} members; refused")
    names = set(zf.NameToInfo)
    probe = Package(path, zf, False, "", limits=limits)
    version = None
    if "meta" in names:
        try:
            fields = read_protobuf(probe._read("meta", 1 << 16, compressed=False))
        except ValueError as exc:
            raise PackageError(f"its meta file is damaged: {exc}") from None
        version = next((v for n, v in fields if n == 1 and isinstance(v, int)), 0)
        if version == 0 or version > _LATEST:
            raise PackageError("made by a newer Anki than this importer knows (unknown package version)")
    if version == _LATEST or (version is None and "collection.anki21b" in names):
        modern, member = True, "collection.anki21b"
    elif "collection.anki21" in names:
        modern, member = False, "collection.anki21"
    elif "collection.anki2" in names:
        modern, member = False, "collection.anki2"
    else:
        raise PackageError("no Anki collection in it (collection.anki21b, .anki21 or .anki2)")
    if member not in names:
        raise PackageError(f"{member} is missing from the package")
    pkg = Package(path, zf, modern, member, limits=limits)
    pkg.media = _media_map(pkg, names)
    return pkg


def _media_map(pkg: Package, names: set[str]) -> dict[str, str]:
    if "media" not in names:
        return {}
    raw = pkg._read("media", pkg.limits.media_map, compressed=pkg.modern)
    out: dict[str, str] = {}
    if pkg.modern:
        try:
            entries = [v for n, v in read_protobuf(raw) if n == 1 and isinstance(v, bytes)]
            for index, entry in enumerate(entries):
                fields = read_protobuf(entry)
                name = next((v for n, v in fields if n == 1 and isinstance(v, bytes)), b"").decode("utf-8")
                member = next((v for n, v in fields if n == 255 and isinstance(v, int)), index)
                if name:
                    out.setdefault(name, str(member))
        except (ValueError, UnicodeDecodeError) as exc:
            raise PackageError(f"its media list is damaged: {exc}") from None
        return out
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"its media list is damaged: {exc}") from None
    if not isinstance(data, dict):
        raise PackageError("its media list is damaged: not a mapping")
    for member, name in data.items():
        if isinstance(member, str) and member.isdigit() and isinstance(name, str) and name:
            out.setdefault(name, member)
    return out


class TempFolder:
    """A private temp folder for the unpacked database; removed however the import ends."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="trainer-apkg-"))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def connect_readonly(db: Path) -> sqlite3.Connection:
    """Our temp copy, opened read-only: a hostile database cannot make us write anything."""
    uri = "file:" + os.fspath(db).replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn
