"""Readiness checks for /readyz (django-health-check): the database answers, the broker takes
connections, and every migration is applied. /healthz says only that the process is alive.

Messages name no host, user or password: /readyz is open to the load balancer and so to anyone.
"""

import dataclasses
import datetime

from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


class OwnConnection(HealthCheck):
    """django-health-check runs a check in a worker thread: the database connection that thread
    opened is closed when the check ends, rather than kept for a request that never comes."""

    def run(self) -> None:
        try:
            self.probe()
        finally:
            connections.close_all()

    def probe(self) -> None:
        raise NotImplementedError


@dataclasses.dataclass
class Database(OwnConnection):
    """PostgreSQL answers a query."""

    def probe(self) -> None:
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET statement_timeout = '3s'")  # closed after the check
                cursor.execute("SELECT 1")
        except Exception as error:
            raise ServiceUnavailable("the database did not answer") from error


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker (Redis in production) accepts a connection."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        from ipt_clinic.celery import app

        try:
            with app.connection_for_write() as broker:
                broker.ensure_connection(max_retries=1, timeout=2)
        except Exception as error:
            raise ServiceUnavailable("the broker did not answer") from error


@dataclasses.dataclass
class Migrations(OwnConnection):
    """Every migration of the code running here is applied to the database."""

    def probe(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migrations are not applied yet")


READINESS = [Database, Broker, Migrations]


class ReadinessView(HealthCheckView):
    """django-health-check's view, with the checks above, answering 503 Service Unavailable
    rather than 500 when a check fails: not ready is not a server error."""

    checks = READINESS

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response
