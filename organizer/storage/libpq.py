"""PostgreSQL's own client library (libpq) through `ctypes`: the quick paths' connection to a server.

Why not psycopg here: `import psycopg` alone costs ~160 ms on this machine (it loads asyncio, logging and
importlib.metadata), more than the 150 ms a whole `organizer add` may take on PostgreSQL; loading libpq with
`ctypes` and connecting costs ~20 ms. So `organizer add` and `list`, the board's first read and a move on a
PostgreSQL database speak to libpq directly, in text format, through this module's few calls; everything
else (the services, migrations) goes through SQLAlchemy and psycopg 3 as before. The libpq loaded is the one
psycopg's binary wheel ships (a pinned dependency), else the system's `libpq.so.5`; without either, callers
get `Unavailable` and take the full path.

Values cross as text: parameters are written as PostgreSQL reads them (`$1`…, types inferred by the server
from the statement) and results are converted back by their column type (booleans, integers, floats,
instants, dates); the session runs in UTC with ISO dates so instants parse exactly.
"""

from __future__ import annotations

import ctypes
import os
import select
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

_OK = {1, 2}  # PGRES_COMMAND_OK, PGRES_TUPLES_OK
_DIAG_SQLSTATE = ord("C")
_P = ctypes.c_void_p


class Unavailable(RuntimeError):
    """No libpq could be loaded: take the SQLAlchemy path."""


class PqError(RuntimeError):
    """The server refused a statement or a connection; `sqlstate` names the condition when it said one."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _candidates() -> Iterator[str]:
    # psycopg's binary wheel keeps its libpq beside the package (Linux: psycopg_binary.libs; macOS: .dylibs).
    for entry in sys.path:
        root = Path(entry or ".")
        for folder in (root / "psycopg_binary.libs", root / "psycopg_binary" / ".dylibs"):
            if folder.is_dir():
                yield from sorted(str(p) for p in folder.glob("libpq*"))
    yield from ("libpq.so.5", "libpq.5.dylib", "libpq.dylib")


_lib: ctypes.CDLL | None = None


def _load() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for fn, restype, argtypes in (
            ("PQconnectdb", _P, [ctypes.c_char_p]),
            ("PQstatus", ctypes.c_int, [_P]),
            ("PQerrorMessage", ctypes.c_char_p, [_P]),
            ("PQfinish", None, [_P]),
            ("PQexec", _P, [_P, ctypes.c_char_p]),
            ("PQexecParams", _P, [_P, ctypes.c_char_p, ctypes.c_int, _P, ctypes.POINTER(ctypes.c_char_p), _P, _P,
                                  ctypes.c_int]),
            ("PQresultStatus", ctypes.c_int, [_P]),
            ("PQresultErrorMessage", ctypes.c_char_p, [_P]),
            ("PQresultErrorField", ctypes.c_char_p, [_P, ctypes.c_int]),
            ("PQntuples", ctypes.c_int, [_P]),
            ("PQnfields", ctypes.c_int, [_P]),
            ("PQfname", ctypes.c_char_p, [_P, ctypes.c_int]),
            ("PQftype", ctypes.c_uint, [_P, ctypes.c_int]),
            ("PQgetvalue", ctypes.c_char_p, [_P, ctypes.c_int, ctypes.c_int]),
            ("PQgetisnull", ctypes.c_int, [_P, ctypes.c_int, ctypes.c_int]),
            ("PQclear", None, [_P]),
            ("PQsocket", ctypes.c_int, [_P]),
            ("PQconsumeInput", ctypes.c_int, [_P]),
            ("PQnotifies", _P, [_P]),
            ("PQfreemem", None, [_P]),
            ("PQtransactionStatus", ctypes.c_int, [_P]),
            ("PQprepare", _P, [_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, _P]),
            ("PQdescribePrepared", _P, [_P, ctypes.c_char_p]),
        ):
            func = getattr(lib, fn)
            func.restype, func.argtypes = restype, argtypes
        _lib = lib
        return lib
    raise Unavailable("no libpq to load (install psycopg[binary] or the system's libpq5)")


def conninfo(url: str) -> str:
    """A libpq connection string from a database URL (`postgresql+psycopg://` as SQLAlchemy spells it too)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return f"postgresql://{rest}"


def _text(value: Any) -> bytes | None:
    if value is None:
        return None
    if value is True or value is False:
        return b"t" if value else b"f"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored instant is aware")
        return value.isoformat().encode()
    if isinstance(value, date):
        return value.isoformat().encode()
    return str(value).encode()


def _instant(text: str) -> datetime:
    # The server's ISO output in UTC: "2026-12-01 15:44:02.123456+00" (Python reads a bare hour offset since 3.11).
    return datetime.fromisoformat(text)


_READERS: dict[int, Callable[[str], Any]] = {
    16: lambda t: t == "t",  # bool
    20: int, 21: int, 23: int, 26: int,  # int8, int2, int4, oid
    700: float, 701: float, 1700: float,  # float4, float8, numeric
    1184: _instant, 1114: datetime.fromisoformat,  # timestamptz, timestamp
    1082: date.fromisoformat,  # date
}


# JSON gives numbers, booleans and strings: these columns need more (instants, dates; floats that JSON wrote
# as integers).
_FROM_JSON: dict[int, Callable[[Any], Any]] = {
    700: float, 701: float, 1700: float,
    1184: datetime.fromisoformat, 1114: datetime.fromisoformat,
    1082: date.fromisoformat,
}


class Connection:
    """One libpq connection, used by one thread at a time (calls release the GIL while they wait)."""

    def __init__(self, url: str, *, application_name: str = "organizer") -> None:
        self._lib = _load()
        info = f"{conninfo(url)}{'&' if '?' in url else '?'}application_name={application_name}"
        self._conn = self._lib.PQconnectdb(info.encode())
        if not self._conn or self._lib.PQstatus(self._conn) != 0:
            message = self._lib.PQerrorMessage(self._conn).decode(errors="replace").strip() if self._conn else ""
            self.close()
            raise PqError(message or "cannot connect")
        # UTC and ISO dates: instants come back in one form that parses exactly.
        self.execute("SET TimeZone = 'UTC'")
        self.execute("SET DateStyle = 'ISO, YMD'")

    def close(self) -> None:
        """Close the connection (idempotent); an open transaction is rolled back by the server."""
        if getattr(self, "_conn", None):
            self._lib.PQfinish(self._conn)
            self._conn = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (PQTRANS_INTRANS or PQTRANS_INERROR)."""
        return bool(self._conn) and self._lib.PQtransactionStatus(self._conn) in (2, 3)

    def _result(self, res: int | None) -> int:
        """`res` if the server accepted the statement; else raise its error (and free it)."""
        lib = self._lib
        if not res:
            raise PqError(lib.PQerrorMessage(self._conn).decode(errors="replace").strip() or "no result")
        if lib.PQresultStatus(res) not in _OK:
            state = lib.PQresultErrorField(res, _DIAG_SQLSTATE)
            message = lib.PQresultErrorMessage(res).decode(errors="replace").strip()
            lib.PQclear(res)
            raise PqError(message, state.decode() if state else None)
        return res

    def execute_bulk(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """`execute` for a query of thousands of rows: the server sends them as one JSON document.

        Reading a result cell by cell costs two `ctypes` calls per value (~0.6 s for a 10,000-card board);
        here the query is described first (its column names and types: one round trip), then run inside
        `json_agg` (kept in the query's order) and read with `json.loads`, and each column converted by type.
        """
        import json

        if not self._conn:
            raise PqError("the connection is closed")
        lib = self._lib
        res = self._result(lib.PQprepare(self._conn, b"", sql.encode(), len(params), None))
        lib.PQclear(res)
        res = self._result(lib.PQdescribePrepared(self._conn, b""))
        try:
            width = lib.PQnfields(res)
            names = [lib.PQfname(res, j).decode() for j in range(width)]
            types = [lib.PQftype(res, j) for j in range(width)]
        finally:
            lib.PQclear(res)
        aliases = [f"c{j}" for j in range(width)]
        # The aggregate reads the query's rows in the order its ORDER BY sorted them (PostgreSQL feeds an
        # aggregate from a sorted subquery in order); columns are renamed by position, so duplicates are fine.
        wrapped = (f"SELECT COALESCE(json_agg(json_build_array({', '.join('q.' + a for a in aliases)})), '[]') "
                   f"FROM ({sql}) AS q({', '.join(aliases)})")
        _, rows = self.execute(wrapped, params)
        data = json.loads(rows[0][0])
        for j, oid in enumerate(types):
            read = _FROM_JSON.get(oid)
            if read is not None:
                for row in data:
                    if row[j] is not None:
                        row[j] = read(row[j])
        return names, [tuple(row) for row in data]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one statement with `$n` parameters; returns its column names and rows (converted by type)."""
        if not self._conn:
            raise PqError("the connection is closed")
        lib = self._lib
        values = (ctypes.c_char_p * max(len(params), 1))(*[_text(p) for p in params])
        res = self._result(lib.PQexecParams(self._conn, sql.encode(), len(params), None, values, None, None, 0))
        try:
            width, height = lib.PQnfields(res), lib.PQntuples(res)
            names = [lib.PQfname(res, j).decode() for j in range(width)]
            readers = [_READERS.get(lib.PQftype(res, j)) for j in range(width)]
            rows: list[tuple[Any, ...]] = []
            for i in range(height):
                row: list[Any] = []
                for j, read in enumerate(readers):
                    if lib.PQgetisnull(res, i, j):
                        row.append(None)
                        continue
                    text = lib.PQgetvalue(res, i, j).decode()
                    row.append(read(text) if read else text)
                rows.append(tuple(row))
            return names, rows
        finally:
            lib.PQclear(res)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """BEGIN … COMMIT, rolled back when the block raises."""
        self.execute("BEGIN")
        try:
            yield self
        except BaseException:
            if self._conn and self.in_transaction:
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def socket(self) -> int:
        """The connection's socket, to wait on with `select` (-1 once closed)."""
        return self._lib.PQsocket(self._conn) if self._conn else -1

    def notifies(self) -> list[tuple[str, str]]:
        """Read what the server sent meanwhile and return its NOTIFY messages as (channel, payload) pairs."""
        lib = self._lib
        if not self._conn:
            raise PqError("the connection is closed")
        if not lib.PQconsumeInput(self._conn):
            raise PqError(lib.PQerrorMessage(self._conn).decode(errors="replace").strip() or "connection lost")
        got: list[tuple[str, str]] = []
        while True:
            ptr = lib.PQnotifies(self._conn)
            if not ptr:
                return got
            note = ctypes.cast(ptr, ctypes.POINTER(_Notify)).contents
            got.append(((note.relname or b"").decode(), (note.extra or b"").decode()))
            lib.PQfreemem(ptr)

    def wait_for_notify(self, timeout: float) -> list[tuple[str, str]]:
        """Wait up to `timeout` seconds for NOTIFY messages (after a LISTEN); returns (channel, payload) pairs."""
        got = self.notifies()
        if not got:
            select.select([self.socket()], [], [], timeout)
            got = self.notifies()
        return got


class _Notify(ctypes.Structure):
    _fields_ = [("relname", ctypes.c_char_p), ("be_pid", ctypes.c_int), ("extra", ctypes.c_char_p),
                ("next", ctypes.c_void_p)]


def available() -> bool:
    """Whether a libpq can be loaded here (`ORGANIZER_NO_LIBPQ=1` says no, to test the fallback)."""
    if os.environ.get("ORGANIZER_NO_LIBPQ"):
        return False
    try:
        _load()
    except Unavailable:
        return False
    return True
