"""The tablet's service worker version: a content hash, the same in every process."""
import os
import re
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from gridops.tablet.views import shell_version
from tests.browser_support import ROOT

SNIPPET = ("import django; django.setup(); from django.test import Client; "
           "print(Client().get('/tablet/sw.js').content.decode().split('\\n')[1])")


def _version_in_new_process(seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed, DJANGO_SETTINGS_MODULE="gridops.settings.test")
    out = subprocess.run([sys.executable, "-c", SNIPPET], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


def test_version_is_the_same_in_every_process():
    """Issue 12: the version came from Python's salted hash(), so each restart made tablets
    fetch their whole shell again."""
    first, second = _version_in_new_process("1"), _version_in_new_process("2")
    assert first == second and re.fullmatch(r"const VERSION = '[0-9a-f]{16}';", first)
    assert Client().get(reverse("tablet-sw")).content.decode().split("\n")[1] == first


def test_version_changes_with_the_files():
    assert shell_version("a") != shell_version("b")
    assert shell_version("a") == shell_version("a")
