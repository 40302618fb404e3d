"""Running test work in real threads at once (each with its own database connection)."""
import threading

from django.db import connections


def run_concurrently(work, count: int) -> list[BaseException]:
    """Call `work(n)` for n in range(count), each in its own thread, all started before any is
    joined; returns what they raised (empty when all succeeded), so the test asserts on it.
    Each thread closes its database connections, or the test database could not be dropped."""
    errors: list[BaseException] = []

    def run(n):
        try:
            work(n)
        except Exception as exc:  # surfaced to the test, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
