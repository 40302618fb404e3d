from django.core.management.base import BaseCommand

from gridops.sensors.mqtt import Bridge


class Command(BaseCommand):
    help = "Feed device readings from the MQTT broker (GRIDOPS_MQTT_URL) into GridOps until stopped."

    def handle(self, *args, **options):
        bridge = Bridge()
        self.stdout.write(f"sensors: listening on mqtt://{bridge.host}:{bridge.port}/{bridge.prefix}/+/readings")
        bridge.run()
