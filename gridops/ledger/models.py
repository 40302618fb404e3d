"""The verifiable log and the district records it certifies.

Two layers, on purpose:

- the *log* (`Entry`, `Node`, `TreeHead`) is append-only and the database itself refuses
  UPDATE, DELETE and TRUNCATE on it (triggers in migration 0002). An entry's leaf is the
  canonical JSON of a record; `Node` keeps the hash of every complete subtree so that proofs are
  O(log n) lookups instead of a re-read of the log; `TreeHead` is the history of signed heads.
- the *records* (vendors, supervised persons, check-ins, notarisations, identity attestations)
  are ordinary rows that point at the entry that certified them. They may change (a vendor moves
  stall): a change is certified by appending a new entry, and the verification state of a row is
  "its current canonical record equals the leaf of its latest entry".
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    IDENTITY = "identity", _("身份核验")
    VENDOR = "vendor", _("食安菜妈")
    CHECKIN = "checkin", _("社区矫正签到")
    NOTARY = "notary", _("公证存证")


# Kinds whose leaves name a supervised person: readable by justice officers only.
RESTRICTED_KINDS = frozenset({Kind.CHECKIN.value})


class Entry(models.Model):
    index = models.BigIntegerField(primary_key=True, help_text="Position in the log, from 0.")
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    leaf = models.BinaryField(help_text="Canonical JSON of the record (sorted keys, no spaces, UTF-8).")
    leaf_hash = models.BinaryField(max_length=32, help_text="SHA-256(0x00 || leaf), RFC 6962.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class Node(models.Model):
    """The hash of the complete subtree of leaves [index*2**level, (index+1)*2**level)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["level", "index"]


class TreeHead(models.Model):
    """A signed tree head: Ed25519 over RFC 6962's TreeHeadSignature (see `verify.head_bytes`)."""

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField(db_index=True)
    root_hash = models.BinaryField(max_length=32)
    timestamp_ms = models.BigIntegerField()
    signature = models.BinaryField(max_length=64)
    key_id = models.CharField(max_length=64, help_text="Hex SHA-256 of the raw public key that signed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"STH size={self.tree_size}"


class IdentityAttestation(models.Model):
    """智信 "I am me": an account's holder was verified against an ID document.

    Only a salted commitment HMAC-SHA256(salt, id_number) is kept (and logged), never the number:
    the holder can later prove the number by presenting it, and nobody can enumerate it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity_attestations")
    commitment = models.CharField(max_length=64)
    salt = models.CharField(max_length=64, help_text="Per-record random salt (hex); not in the public log.")
    method = models.CharField(max_length=32, default="counter")
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    attested_at = models.DateTimeField()
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="identity")

    class Meta:
        ordering = ["-attested_at"]


class Vendor(models.Model):
    """A 食安菜妈 food vendor, their licence and their market stall."""

    code = models.CharField(max_length=24, unique=True, help_text="Public id printed in the stall's QR code.")
    name = models.CharField(max_length=64)
    licence_no = models.CharField(max_length=40)
    market = models.CharField(max_length=64)
    stall_no = models.CharField(max_length=24)
    stall = models.PointField(srid=4326)
    goods = models.CharField(max_length=64, blank=True)
    grid = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+", help_text="Latest certifying entry.")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.market} {self.stall_no})"


class SupervisedPerson(models.Model):
    """A person under community correction (社区矫正对象): where and when they may be."""

    case_no = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=32)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="supervision",
        help_text="The person's own account, used to check in from their phone.",
    )
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="supervisees")
    allowed_zones = models.ManyToManyField("geodata.Zone", related_name="+", help_text="The geofence: any of these.")
    curfew_start = models.TimeField(null=True, blank=True, help_text="Local time from which they must be at home.")
    curfew_end = models.TimeField(null=True, blank=True)
    home = models.PointField(srid=4326, null=True, blank=True)
    home_radius_m = models.PositiveIntegerField(default=200)
    active = models.BooleanField(default=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["case_no"]

    def __str__(self) -> str:
        return f"{self.case_no} {self.name}"


class CheckIn(models.Model):
    person = models.ForeignKey(SupervisedPerson, on_delete=models.PROTECT, related_name="checkins")
    point = models.PointField(srid=4326)
    accuracy_m = models.FloatField(null=True, blank=True)
    at = models.DateTimeField(help_text="When the device took the position.")
    received_at = models.DateTimeField()
    inside_geofence = models.BooleanField()
    curfew_breach = models.BooleanField(default=False)
    flagged = models.BooleanField(db_index=True)
    reasons = models.JSONField(default=list)
    grid = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="checkin")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"])]


class Notarisation(models.Model):
    sha256 = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=120, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="notarisation")

    class Meta:
        ordering = ["-submitted_at"]
