from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "gridops.approvals"
    label = "approvals"
