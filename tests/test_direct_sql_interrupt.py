"""core.direct_sql (issue 11, item 2), from the review: statements sent straight to the driver
end like SQLAlchemy's when they are cut short."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from core import ledger, tenancy
from core.direct_sql import DirectStatement


class _Interrupted(KeyboardInterrupt):
    """What a signal (Ctrl-C in a CLI run, a worker's abort) raises in the middle of a statement."""


@pytest.mark.parametrize("path", ["sqlalchemy", "direct"])
def test_an_exit_exception_mid_statement_invalidates_the_connection(db, path):
    """SQLAlchemy invalidates a connection whose statement was cut short by an exit exception
    (KeyboardInterrupt, SystemExit, a greenlet's exit): the driver's state is unknown. The
    direct path must do the same. Here the interruption comes from a before_cursor_execute
    listener, the one place a test can put it."""
    with db.write() as session:
        account = ledger.merchant_account(session, tenancy.create_merchant(session, "断店").id,
                                          "issued", "points").id

    def interrupt(*_args):
        raise _Interrupted()

    seen = {}
    with pytest.raises(_Interrupted):
        with db.write() as session:
            connection = session.connection()
            event.listen(connection, "before_cursor_execute", interrupt)
            parameters = {"account_id": account, "amount": 1}
            try:
                if path == "direct":
                    DirectStatement(ledger.MOVE_BALANCE).execute_many(connection, [parameters])
                else:
                    connection.execute(ledger.MOVE_BALANCE, [parameters])
            finally:
                seen["invalidated"] = connection.invalidated
    assert seen["invalidated"]
