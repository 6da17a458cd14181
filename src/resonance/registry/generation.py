"""The registry generation: a counter that every committed write of registry data bumps, for caches.

Caches of what the registry shows (the API's response and token caches) must learn of every write, made in
this process or in another one (the CLI, a bulk import, another server worker). Two signals do that:

- in the database, the one row of ``registry_generation`` (migration 0004), whose ``value`` is incremented
  in the same transaction as the write, just before it commits; another process reads it to notice writes;
- in this process, ``local_writes()``, a counter incremented right after such a commit, whatever engine or
  session made it, so that a cache here sees its own process's writes at once.

What counts as a write: a flush that inserts, deletes or changes a registry row, or an INSERT, UPDATE or
DELETE statement on a registry table run through a session. Not counted: ``search_terms`` (they only change
with a row that is counted), new API tokens (no cache holds a token before it exists), and housekeeping that
no read shows: ``api_tokens.last_used_at`` and ``nodes.last_seen_at`` (touched on use and on every heartbeat;
counting them would empty the caches constantly). Writes that bypass SQLAlchemy sessions (raw SQL, COPY) are
not seen.

The database row is updated at the outermost COMMIT only, never in a savepoint, so that the row lock it takes
is held for the commit alone: concurrent writers wait on each other for that instant, not for the length of
their transactions (a bulk import runs in one long transaction).
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, Table, TextClause, event, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from resonance.registry.models import ApiToken, Base, Node, SearchTerm

TABLE_NAME = "registry_generation"
# Its own metadata: the table is created by migration 0004 and is no registry concept.
registry_generation = Table(
    TABLE_NAME,
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Attributes whose change alone is not a write (nothing cached shows them).
_HOUSEKEEPING: dict[type[Any], frozenset[str]] = {
    ApiToken: frozenset({"last_used_at", "updated_at"}),
    Node: frozenset({"last_seen_at", "updated_at"}),
}
_REGISTRY_TABLES = frozenset(t for t in Base.metadata.tables.values() if t.name != SearchTerm.__tablename__)
_DML_TEXT = re.compile(r"^\s*(insert|update|delete|merge)\b", re.IGNORECASE)

_WROTE = "resonance.generation.wrote"  # session.info: the current transaction wrote registry data
_BUMPED = "resonance.generation.bumped"  # session.info: … and its commit bumped the generation

_local = itertools.count(1)
_local_value = 0
_has_table: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def local_writes() -> int:
    """How many commits with registry writes this process has made, through any session, so far."""
    return _local_value


def read(connection: Connection) -> int | None:
    """The database's generation; None where the table does not exist (a schema older than 0004)."""
    if not _table_exists(connection):
        return None
    return connection.scalar(select(registry_generation.c.value).where(registry_generation.c.id == 1))


def _table_exists(connection: Connection) -> bool:
    engine = connection.engine
    if _has_table.get(engine):
        return True
    found = inspect(connection).has_table(TABLE_NAME)
    if found:  # a missing table is looked for again: the schema may be upgraded while the engine lives
        _has_table[engine] = True
    return found


def _is_write(obj: Any, session: Session, change: str) -> bool:
    if not isinstance(obj, Base) or isinstance(obj, SearchTerm):
        return False
    if change == "new":
        return not isinstance(obj, ApiToken)
    if change == "deleted":
        return True
    housekeeping = _HOUSEKEEPING.get(type(obj))
    state = inspect(obj)
    if housekeeping is None:
        return session.is_modified(obj)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in housekeeping)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    if session.info.get(_WROTE):
        return
    changes = ((session.new, "new"), (session.deleted, "deleted"), (session.dirty, "dirty"))
    if any(_is_write(obj, session, change) for objects, change in changes for obj in objects):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if state.session.info.get(_WROTE) or state.is_select:
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        wrote = bool(_DML_TEXT.match(statement.text))
    elif state.is_insert or state.is_update or state.is_delete:
        wrote = getattr(statement, "table", None) in _REGISTRY_TABLES
    else:
        wrote = False
    if wrote:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint is released: wait for the outermost commit
        return
    if session.dirty or session.new or session.deleted:
        session.flush()  # what the commit is about to do anyway; it may be a registry write
    if not session.info.get(_WROTE):
        return
    connection = session.connection()
    if _table_exists(connection):
        where = registry_generation.c.id == 1
        connection.execute(update(registry_generation).where(where).values(value=registry_generation.c.value + 1))
    session.info[_BUMPED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    global _local_value
    if not session.in_nested_transaction() and session.info.pop(_BUMPED, False):
        _local_value = next(_local)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
        session.info.pop(_BUMPED, None)
