from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "gridops.ledger"
    label = "ledger"
