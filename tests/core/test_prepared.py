"""Prepared statements for hot fixed SQL: the same rows as the plain statement, prepared once per
database session, prepared again after a reconnect (issue 13)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridops.core import prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT %s::float8 + %s, 'a%%b', %s::text"


def _run(params):
    with connection.cursor() as cursor:
        prepared.execute(cursor, SQL, params)
        return cursor.fetchone()


def test_the_same_rows_as_the_plain_statement_and_prepared_once():
    with connection.cursor() as cursor:
        cursor.execute(SQL, [1.5, 2.0, "x"])
        plain = cursor.fetchone()
    with CaptureQueriesContext(connection) as queries:
        first = _run([1.5, 2.0, "x"])
        second = _run([2.5, 2.0, "y"])
    assert first == plain == (3.5, "a%b", "x")
    assert second == (4.5, "a%b", "y")
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(s.startswith("PREPARE") for s in statements) <= 1  # the session may have it already
    assert sum(s.startswith("EXECUTE") for s in statements) == 2


@pytest.mark.django_db(transaction=True)  # the session is closed mid-test
def test_a_new_session_prepares_again():
    _run([1.0, 1.0, "x"])
    connection.close()  # a restarted PostgreSQL: the next session has no prepared statements
    with CaptureQueriesContext(connection) as queries:
        assert _run([1.0, 2.0, "z"]) == (3.0, "a%b", "z")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["PREPARE", "EXECUTE"]


def test_no_parameters_and_switched_off(settings):
    with connection.cursor() as cursor:
        prepared.execute(cursor, "SELECT 'x%%'")
        assert cursor.fetchone() == ("x%",)
    settings.GRIDOPS_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:  # _run opens its cursor inside
        assert _run([1.0, 1.0, "x"]) == (2.0, "a%b", "x")
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


@pytest.mark.parametrize("value", [[1, 2.0], [], ["a", 1.0]])
def test_a_parameter_of_another_type_runs_plainly(value):
    """Mixed or empty lists have no one array type to declare: the plain statement runs."""
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        prepared.execute(cursor, "SELECT cardinality(%s::text[])", [value])
        assert cursor.fetchone() == (len(value),)
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


ARRAYS_SQL = "SELECT sum(x) FROM unnest(%s::float8[]) AS x WHERE %s = ANY(%s)"


def test_arrays_of_one_plain_type_are_prepared_and_a_generic_plan_can_be_forced():
    """A batch of points (`float8[]`) or codes (`text[]`) is prepared like any parameter; `generic`
    makes PostgreSQL run the generic plan from the first call (with an array it would otherwise
    plan every call: the custom plan, knowing the array's length, always looks cheaper)."""
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        answers = []
        for points, code in (([1.0, 2.0], "b"), ([3.0], "a"), ([4.0, 0.5], "z")):
            prepared.execute(cursor, ARRAYS_SQL, [points, code, ["a", "b"]], generic=True)
            answers.append(cursor.fetchone()[0])
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%unnest($1::float8[])%"])
        plans = cursor.fetchone()
    assert answers == [3.0, 3.0, None]
    runs = [q["sql"] for q in queries.captured_queries if "EXECUTE" in q["sql"] and "PREPARE" not in q["sql"]]
    assert len(runs) == 3 and all(r.startswith("SET LOCAL plan_cache_mode = force_generic_plan; EXECUTE") for r in runs)
    assert plans == (3, 0)
