"""Sensor settings (from Django settings, which read the environment)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def mqtt_url() -> str:
    """The broker: mqtt://host:port (Mosquitto, started by `make run`)."""
    return str(_get("GRIDOPS_MQTT_URL", "mqtt://127.0.0.1:1883"))


def topic_prefix() -> str:
    """Devices publish to `<prefix>/<device code>/readings` (tests and benches use a prefix of their own)."""
    return str(_get("GRIDOPS_MQTT_TOPIC_PREFIX", "gridops/sensors"))


def maintenance_event_type() -> str:
    """The event type of the incident a silent device raises (物联感知设备离线)."""
    return str(_get("GRIDOPS_SENSOR_MAINTENANCE_EVENT_TYPE", "9901001"))
