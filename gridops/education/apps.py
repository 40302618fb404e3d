from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "gridops.education"
    label = "education"
