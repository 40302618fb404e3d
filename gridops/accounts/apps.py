from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gridops.accounts"
    label = "accounts"
