"""Sockets do not outlive what authorised them (issue 11, finding 6).

The same changes drop the user's cached token lookup (`gridops.core.tokens`).

A socket's audiences are fixed at connect, so whatever changes who a user is must reach the open
sockets: a logout closes that browser session's sockets, a deleted token the sockets opened with
it, and a change of role, jurisdiction, department, grids, activity or password closes all the
user's sockets (the client reconnects and is given the audiences it now holds, or refused).
The close travels as a control message on the event stream after commit, so every process on
every node applies it, in order with the events before it.

Receivers are connected in `RealtimeConfig.ready()`; they only send after commit.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from gridops.accounts.models import Profile
from gridops.core.tokens import forget_user_through_commit

from .consumers import session_credential
from .services import revoke_sockets


CLOSE_SIGNED_OUT = 4401          # sign in again
CLOSE_AUDIENCES_CHANGED = 4409   # reconnect: what you may hear has changed

_PROFILE_FIELDS = ("role", "zone_id", "department_id")
_USER_FIELDS = ("is_active", "is_superuser", "password")


def _on_logout(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if user is not None and key:
        revoke_sockets(user_id=user.pk, credential=session_credential(key), code=CLOSE_SIGNED_OUT,
                       reason="signed out")


def _on_token_deleted(sender, instance, **kwargs):
    forget_user_through_commit(instance.user_id, keys=(instance.key,))
    revoke_sockets(user_id=instance.user_id, credential="token", code=CLOSE_SIGNED_OUT, reason="token revoked")


def _remember_old(fields):
    relevant = set(fields) | {name.removesuffix("_id") for name in fields}

    def receiver(sender, instance, update_fields=None, **kwargs):
        # A login saves last_login only: no read of the old row for that.
        if instance.pk is None or (update_fields is not None and not relevant & set(update_fields)):
            instance._realtime_old = None
            return
        instance._realtime_old = sender.objects.filter(pk=instance.pk).values(*fields).first()
    return receiver


def _revoke_if_changed(fields, user_of, code):
    def receiver(sender, instance, created=False, **kwargs):
        forget_user_through_commit(user_of(instance))  # any change: the cached user carries these rows
        old = getattr(instance, "_realtime_old", None)
        if created or old is None:
            return
        if any(old[name] != getattr(instance, name) for name in fields):
            revoke_sockets(user_id=user_of(instance), code=code, reason="access changed")
    return receiver


def _on_profile_deleted(sender, instance, **kwargs):
    forget_user_through_commit(instance.user_id)
    revoke_sockets(user_id=instance.user_id, code=CLOSE_AUDIENCES_CHANGED, reason="access changed")


def _on_user_deleted(sender, instance, **kwargs):
    revoke_sockets(user_id=instance.pk, code=CLOSE_SIGNED_OUT, reason="account removed")


def _on_grids_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Profile):
        forget_user_through_commit(instance.user_id)
        revoke_sockets(user_id=instance.user_id, code=CLOSE_AUDIENCES_CHANGED, reason="access changed")


def connect_receivers() -> None:
    from rest_framework.authtoken.models import Token

    User = get_user_model()
    uid = "gridops.realtime.revocation"
    user_logged_out.connect(_on_logout, dispatch_uid=f"{uid}.logout")
    post_delete.connect(_on_token_deleted, sender=Token, dispatch_uid=f"{uid}.token")
    pre_save.connect(_remember_old(_PROFILE_FIELDS), sender=Profile, weak=False, dispatch_uid=f"{uid}.profile.pre")
    post_save.connect(_revoke_if_changed(_PROFILE_FIELDS, lambda p: p.user_id, CLOSE_AUDIENCES_CHANGED), sender=Profile, weak=False,
                      dispatch_uid=f"{uid}.profile.post")
    post_delete.connect(_on_profile_deleted, sender=Profile, dispatch_uid=f"{uid}.profile.delete")
    m2m_changed.connect(_on_grids_changed, sender=Profile.grids.through, dispatch_uid=f"{uid}.grids")
    pre_save.connect(_remember_old(_USER_FIELDS), sender=User, weak=False, dispatch_uid=f"{uid}.user.pre")
    post_save.connect(_revoke_if_changed(_USER_FIELDS, lambda u: u.pk, CLOSE_SIGNED_OUT), sender=User, weak=False,
                      dispatch_uid=f"{uid}.user.post")
    post_delete.connect(_on_user_deleted, sender=User, dispatch_uid=f"{uid}.user.delete")
