"""The audit log's core (core/audit.py): append-only in the database itself, written in the
action's own transaction, secrets never stored, searched per merchant in local dates; and the
command line's entries."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core import audit, tenancy
from core.audit import Origin
from core.db import Database, make_engine
from core.errors import Invalid
from core.models import AuditEntry
from core.operations import ApiOperation, AuditSpec

WEB = Origin("web", "203.0.113.7", "Mozilla/5.0 test")


@pytest.fixture
def merchant(db):
    with db.write() as session:
        created = tenancy.create_merchant(session, "审计店")
        staff = tenancy.create_staff(session, created.id, username="boss", password="password-123",
                                     role="owner")
        return created.id, staff.id


def add(db, merchant, **kwargs) -> int:
    merchant_id, staff_id = merchant
    values = {"action": "card.freeze", "target": "card:8001", "origin": WEB, **kwargs}
    with db.write() as session:
        return audit.record(session, merchant_id=merchant_id, staff_id=staff_id, **values).id


def rows(db, merchant_id=None) -> list[AuditEntry]:
    with db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if merchant_id is not None:
            query = query.where(AuditEntry.merchant_id == merchant_id)
        found = list(session.scalars(query))
        session.expunge_all()  # keep the loaded values: the read session rolls back
        return found


def test_a_row_says_who_when_from_where_and_what(db, merchant):
    entry_id = add(db, merchant, before={"status": "active"}, after={"status": "frozen"})
    [entry] = rows(db)
    assert entry.id == entry_id
    assert (entry.merchant_id, entry.staff_id, entry.staff_username) == (merchant[0], merchant[1], "boss")
    assert (entry.channel, entry.client_ip, entry.user_agent) == ("web", "203.0.113.7", "Mozilla/5.0 test")
    assert (entry.action, entry.target) == ("card.freeze", "card:8001")
    assert (entry.before, entry.after) == ({"status": "active"}, {"status": "frozen"})
    assert entry.created_at.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - entry.created_at).total_seconds()) < 60


@pytest.mark.parametrize("statement", ["UPDATE audit_entries SET action = 'nothing' WHERE id = :id",
                                       "DELETE FROM audit_entries WHERE id = :id"])
def test_rows_cannot_be_updated_or_deleted_even_with_raw_sql(db, merchant, statement):
    entry_id = add(db, merchant)
    with pytest.raises(DBAPIError, match="audit entries are append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(statement), {"id": entry_id})
    [entry] = rows(db)
    assert entry.action == "card.freeze"


def test_truncate_is_refused_on_postgresql(db, merchant):
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    add(db, merchant)
    with pytest.raises(DBAPIError, match="audit entries are append-only"):
        with db.engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_entries"))
    assert len(rows(db)) == 1


def test_an_action_that_rolls_back_leaves_no_row(db, merchant):
    with pytest.raises(RuntimeError):
        with db.write() as session:
            audit.record(session, merchant_id=merchant[0], staff_id=merchant[1], action="card.freeze",
                         target="card:8001", origin=WEB)
            raise RuntimeError("the action failed after its audit row was added")
    assert rows(db) == []


def test_secrets_are_never_stored_only_that_they_changed(db, merchant):
    add(db, merchant, action="card.pin_change",
        before={"pin": "593716", "pin_hash": "scrypt$abc", "has_pin": True, "pin_failures": 2},
        after={"pin": "720418", "password": "hunter2-hunter2", "token": "hk_secret",
               "nested": [{"new_pin": "720418"}], "pin_locked_until": None, "token_id": 4})
    [entry] = rows(db)
    assert entry.before == {"has_pin": True, "pin_failures": 2}
    assert entry.after == {"pin": "changed", "password": "changed", "token": "changed",
                           "nested": [{"new_pin": "changed"}], "pin_locked_until": None, "token_id": 4}
    with db.engine.connect() as connection:
        raw = " ".join(str(value) for value in connection.execute(text("SELECT * FROM audit_entries")).one())
    for secret in ("593716", "720418", "hunter2", "hk_secret", "scrypt$"):
        assert secret not in raw


def test_changes_keep_only_what_differs():
    old = {"fields": [{"key": "a", "max_length": 10}, {"key": "b", "max_length": 20}],
           "tiers": [{"key": "gold", "rank": 1}], "schema_version": 1}
    new = {"fields": [{"key": "a", "max_length": 10}, {"key": "b", "max_length": 30}, {"key": "c"}],
           "tiers": [{"key": "gold", "rank": 1}], "schema_version": 1}
    assert audit.changes(old, new) == ({"fields": {"b": {"max_length": 20}, "(order)": ["a", "b"]}},
                                       {"fields": {"b": {"max_length": 30}, "c": {"key": "c"},
                                                   "(order)": ["a", "b", "c"]}})
    assert audit.changes({"x": 1}, {"x": 1}) == ({}, {})


def test_search_filters_by_staff_action_target_and_local_dates_newest_first(db, merchant):
    merchant_id, staff_id = merchant
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC: the local date, not the UTC one, counts.
    late = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)
    next_day = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 2026-03-02 00:30 local
    add(db, merchant, action="card.freeze", target="card:8001", at=late)
    add(db, merchant, action="card.unfreeze", target="card:8001", at=next_day)
    add(db, merchant, action="config.publish", target="config:version:2", at=next_day)
    with db.write() as session:  # another merchant's row is never found
        other = tenancy.create_merchant(session, "别家店")
        audit.record(session, merchant_id=other.id, staff_id=None, action="card.freeze",
                     target="card:8001", origin=Origin("cli"))
    with db.read() as session:
        def found(**filters):
            return [(e.action, e.target) for e in audit.search(session, merchant_id, **filters).items]

        assert found() == [("config.publish", "config:version:2"), ("card.unfreeze", "card:8001"),
                           ("card.freeze", "card:8001")]
        assert found(action="card") == [("card.unfreeze", "card:8001"), ("card.freeze", "card:8001")]
        assert found(action="card.freeze") == [("card.freeze", "card:8001")]
        assert found(action="car") == []  # a prefix means whole dotted parts
        assert found(target="config:") == [("config.publish", "config:version:2")]
        assert found(start=date(2026, 3, 1), end=date(2026, 3, 1)) == [("card.freeze", "card:8001")]
        assert len(found(start=date(2026, 3, 2))) == 2
        assert len(found(staff=str(staff_id))) == 3 and len(found(staff="boss")) == 3
        assert found(staff="nobody") == []
        page = audit.search(session, merchant_id, page=2, per_page=2)
        assert (page.total, [e.action for e in page.items]) == (3, ["card.freeze"])


@pytest.mark.parametrize("args, pointer", [
    ({"page": "0"}, "/page"), ({"page": "9223372036854775808"}, "/page"), ({"page": "x"}, "/page"),
    ({"per_page": "101"}, "/per_page"), ({"from": "2026-02-30"}, "/from"), ({"to": "yesterday"}, "/to"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "/from"), ({"action": "x" * 61}, "/action"),
    ({"target": "card:\x00"}, "/target"),
])
def test_bad_filters_are_refused_with_their_pointer(args, pointer):
    with pytest.raises(Invalid) as refused:
        audit.parse_filters(args)
    assert [d["pointer"] for d in refused.value.details] == [pointer]


def test_an_operation_declares_its_audit_as_data():
    assert ApiOperation("/x", "POST", "x", "X", lambda c: {}, audit="card.freeze").audit == AuditSpec("card.freeze")
    assert ApiOperation("/x", "POST", "x", "X", lambda c: {}).audit is None
    assert audit.path_target({"card_number": "8001"}) == "card:8001"
    assert audit.path_target({"item_id": 3}) == "item:3"


# -- the command line ------------------------------------------------------------------------

def test_cli_token_create_records_the_user_and_the_token_issued_never_the_token(tmp_path, monkeypatch,
                                                                                 sqlite_template):
    import shutil

    from webui.cli import cli

    path = tmp_path / "cli.sqlite"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("HUIKA_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args):
        obj: dict = {}
        result = CliRunner().invoke(cli, list(args), obj=obj)
        if "app" in obj:
            obj["app"].extensions["huika"].db.dispose()
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    run("merchant", "create", "--name", "茶叶店")
    token = run("token", "create", "--merchant", "茶叶店", "--user", "bob", "--role", "cashier")
    database = Database(make_engine(f"sqlite:///{path}"))
    try:
        entries = rows(database)
        assert [(e.action, e.channel, e.staff_id) for e in entries] == [
            ("merchant.create", "cli", None), ("staff.create", "cli", None),
            ("staff.token.issue", "cli", None)]
        issued = entries[-1]
        assert issued.target.startswith("staff:") and issued.user_agent.startswith("huika cli (")
        assert issued.after["username"] == "bob" and issued.after["label"] == "cli"
        assert isinstance(issued.after["token_id"], int)
        assert entries[1].after["password"] == "changed"
        with database.engine.connect() as connection:
            dump = str(connection.execute(text("SELECT * FROM audit_entries")).all())
        assert token not in dump and token[3:] not in dump
        with database.read() as session:
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == 3
    finally:
        database.dispose()


def test_scrubbing_keeps_no_copy_of_the_keys_it_was_given():
    """Every API body is scrubbed (the idempotency digest, before its schema is checked), so
    its keys are whatever a client sends: remembering the answer per key (core.audit.is_secret)
    must not keep thousands of client-made keys of any length alive in each worker."""
    import gc
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(300):
            audit.scrub({f"{index:06d}" + "x" * 65536: 1}, dropping=True)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{kept} bytes of 300 keys of 64 KB kept after scrubbing"
