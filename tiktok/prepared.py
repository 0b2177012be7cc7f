"""Read queries compiled to SQL once per process.

Building a queryset and compiling it to SQL costs Django about a millisecond of CPU per query,
several times what the database spends answering the small indexed reads of the hottest paths
(the player's event beacon, the feed). A `Prepared` query calls its builder once per database
with placeholder values, keeps the SQL the ORM wrote, and afterwards only binds the real values
to it. The builder's queryset stays the one definition of the query, and rows come back through
the compiler's own converters, exactly as `values_list` returns them.

    video_lookup = Prepared(
        lambda public_id, user_id: watchable_videos().filter(public_id=public_id).values_list("pk")[:1],
        public_id=str,
        user_id=int,
    )
    rows = video_lookup.rows(public_id="abc", user_id=7)

Builders must depend on their arguments alone: a value read inside (the time, a setting) would be
frozen into the SQL. Arguments are `int`, `str` or `list` (of ids or short strings). The ORM writes a different
query for an empty list (`exclude(pk__in=[])` drops the condition, `filter(pk__in=[])` matches
nothing), so each pattern of empty lists gets its own compiled query.
"""

import functools
import operator
import re
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

TOKENS = re.compile(r"(%%|%s)")  # a literal percent sign, or a parameter


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        for name, kind in kinds.items():
            if kind not in (int, str, list):
                raise TypeError(f"{name}: a prepared argument is an int, a str or a list, not {kind!r}")
        self.build = build
        self.kinds = kinds
        self._compiled: dict[tuple, tuple | None] = {}

    def _placeholders(self, empty: frozenset, base: int) -> dict[str, object]:
        # Small positive numbers: inside the range of every integer column, so that no lookup
        # is folded away as out of range.
        values = {}
        for i, (name, kind) in enumerate(self.kinds.items()):
            if kind is int:
                values[name] = base + i
            elif kind is str:
                values[name] = f"\x1fprepared-{base}-{name}\x1f"
            else:
                values[name] = [] if name in empty else [base + i]
        return values

    def _sql(self, alias: str, values: dict):
        compiler = self.build(**values).query.get_compiler(using=alias)
        return compiler, *compiler.as_sql()

    def _compile(self, key, alias: str, empty: frozenset):
        # Compiled twice with different placeholders: a parameter that changes with them is an
        # argument, one that stays is a constant of the query itself.
        first, second = self._placeholders(empty, 20_011), self._placeholders(empty, 20_511)
        try:
            compiler, sql, params = self._sql(alias, first)
        except EmptyResultSet:  # an empty list the query can never match
            if not empty:
                raise
            self._compiled[key] = None
            return None
        _, sql_again, params_again = self._sql(alias, second)
        if sql != sql_again or len(params) != len(params_again):
            raise ValueError("the query's SQL changes with its arguments' values: it cannot be prepared")

        def arg_of(a, b):
            for name in self.kinds:
                x, y = first[name], second[name]
                if isinstance(x, list):
                    x, y = (x[0], y[0]) if x else (None, None)
                # A list's values reach the SQL in the column's type (a number for a text column
                # arrives as text).
                if x is not None and (a, b) in ((x, y), (str(x), str(y))):
                    return name
            return None

        slots = []
        for a, b in zip(params, params_again, strict=True):
            name = arg_of(a, b)
            if name is None and a != b:
                raise ValueError(f"a parameter of the query changed from {a!r} to {b!r}: it cannot be prepared")
            slots.append(("arg", name) if name else ("const", a))
        missing = set(self.kinds) - empty - {name for what, name in slots if what == "arg"}
        if missing:
            raise ValueError(f"the ORM folded argument(s) {sorted(missing)} into the SQL: they cannot be prepared")
        # SQL text between parameters, with the literal percent signs kept as '%%'.
        pieces = [""]
        for token in TOKENS.split(sql):
            if token == "%s":
                pieces.append("")
            else:
                pieces[-1] += token
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self._compiled[key] = (pieces, slots, compiler, compiler.get_converters(fields))
        return self._compiled[key]

    def rows(self, using: str = "default", **values) -> list[tuple]:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"expected arguments {sorted(self.kinds)}, got {sorted(values)}")
        empty = frozenset(name for name, value in values.items() if self.kinds[name] is list and not value)
        key = (using, connections[using].vendor, empty)
        compiled = self._compiled[key] if key in self._compiled else self._compile(key, using, empty)
        if compiled is None:
            return []
        pieces, slots, compiler, converters = compiled
        sql = [pieces[0]]
        params = []
        for (what, slot), piece in zip(slots, pieces[1:], strict=True):
            if what == "const":
                sql.append("%s")
                params.append(slot)
            elif self.kinds[slot] is list:
                try:  # integers are written into the SQL: escaping each as a parameter costs more
                    sql.append(", ".join(str(operator.index(v)) for v in values[slot]))
                except TypeError:
                    sql.append(", ".join(["%s"] * len(values[slot])))
                    params.extend(values[slot])
            else:
                sql.append("%s")
                params.append(values[slot])
            sql.append(piece)
        with connections[using].cursor() as cursor:
            cursor.execute("".join(sql), params)
            fetched = cursor.fetchall()
        width = compiler.col_count
        fetched = [row[:width] for row in fetched]
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        return [tuple(row) for row in fetched]


@functools.cache
def columns(model) -> tuple[str, ...]:
    """Every concrete column of `model` (attnames, in model order)."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def instance(model, names, values):
    """A model instance from some of its columns (`names`, in any order; the rest deferred), as
    the ORM builds one for `.only(*names)`."""
    given = dict(zip(names, values, strict=True))
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db("default", ordered, [given[name] for name in ordered])


# --- Writes of one row -------------------------------------------------------------------------
# The same idea for the beacon's writes: the ORM compiles an INSERT or UPDATE on every call; these
# build the statement once per model and column set, and prepare the values with the fields' own
# `get_db_prep_save`, as the ORM does. No model signals are sent: use them for models that have
# no receivers.

_statements: dict[tuple, str] = {}


def _quote(name: str) -> str:
    return connections["default"].ops.quote_name(name)


def row_insert(model, **values):
    """INSERT one row of `model` (field defaults and `pre_save` apply, as in `save()`); returns the
    unsaved-looking instance with its new primary key."""
    obj = model(**values)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    key = ("insert", model, connections["default"].vendor)
    if key not in _statements:
        columns = ", ".join(_quote(f.column) for f in fields)
        _statements[key] = (
            f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        )
    connection = connections["default"]
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_statements[key], params)
        obj.pk = cursor.lastrowid
    obj._state.adding, obj._state.db = False, "default"
    return obj


def row_update(model, where: dict, *, set_to: dict | None = None, add: dict | None = None) -> int:
    """UPDATE the rows of `model` whose columns equal `where`: columns in `set_to` take those
    values, columns in `add` grow by them (`col = col + n`, atomic in the database). Returns the
    number of rows matched."""
    set_to, add = set_to or {}, add or {}
    meta = model._meta
    key = ("update", model, connections["default"].vendor, tuple(where), tuple(set_to), tuple(add))
    if key not in _statements:
        assignments = [f"{_quote(meta.get_field(n).column)} = %s" for n in set_to]
        assignments += [f"{_quote(c)} = {_quote(c)} + %s" for c in (meta.get_field(n).column for n in add)]
        conditions = [f"{_quote(meta.get_field(n).column)} = %s" for n in where]
        _statements[key] = (
            f"UPDATE {_quote(meta.db_table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"
        )
    connection = connections["default"]
    params = [meta.get_field(n).get_db_prep_save(v, connection) for n, v in set_to.items()]
    params += list(add.values())
    params += [meta.get_field(n).get_db_prep_save(v, connection) for n, v in where.items()]
    with connection.cursor() as cursor:
        cursor.execute(_statements[key], params)
        return cursor.rowcount
