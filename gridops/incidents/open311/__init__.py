"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the incidents app.

Existing civic-reporting apps speak this protocol; service codes are our event-type codes and the
agency responsible is the routed department. The package only adapts: creating a request goes
through `gridops.incidents.services.intake.incident_report`, like every other intake channel.
"""
