from django.core.management.base import BaseCommand

from gridops.sensors.demo import register_demo_devices
from gridops.sensors.models import Device
from gridops.sensors.simulator import simulate


class Command(BaseCommand):
    help = "Drive simulated devices over MQTT: one reading per --interval seconds each, for --seconds."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=300)
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--seconds", type=float, default=60.0, help="0: until stopped (make run)")
        parser.add_argument("--breach-share", type=float, default=0.01, help="share of readings past the threshold")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, devices, interval, seconds, breach_share, seed, **options):
        chosen = list(Device.objects.filter(active=True).order_by("code")[:devices])
        if len(chosen) < devices:
            register_demo_devices(devices)
            chosen = list(Device.objects.filter(active=True).order_by("code")[:devices])
        sent = simulate(chosen, interval=interval, seconds=seconds, breach_share=breach_share, seed=seed,
                        record=seconds > 0)
        self.stdout.write(f"sent {len(sent.readings)} readings ({sent.breaches} past threshold), "
                          f"{sent.acknowledged} acknowledged by the broker")
