"""pytest plugin for `npm run conformance` (run.mjs loads it with `-p edgekms_moto_shim`).

moto's tests wrap themselves in `mock_aws`, which would answer boto3 from moto's in-process
models. This plugin replaces it, before any test module imports it, with a decorator and context
manager that does nothing, so that boto3 reaches the real service named by AWS_ENDPOINT_URL_KMS.
Before each test it asks run.mjs for a fresh Worker (EDGEKMS_CONFORMANCE_RESET), as moto starts
each test from an empty account. It fetches nothing.
"""

import os
import sys
import types
import urllib.request

import moto


class _NoMock:
    """Stands in for moto.mock_aws in each of its forms: @mock_aws, @mock_aws(), with mock_aws()."""

    def __call__(self, target=None, *args, **kwargs):
        return target

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def start(self, *args, **kwargs):
        pass

    def stop(self, *args, **kwargs):
        pass


def mock_aws(func=None, config=None):
    if callable(func):
        return func
    return _NoMock()


moto.mock_aws = mock_aws

# freezegun is not installed on these machines (the project's registries have no PyPI); the two
# tests that freeze the clock to check moto's own timestamps skip instead of failing to import.
try:
    import freezegun  # noqa: F401
except ImportError:
    import pytest

    stub = types.ModuleType("freezegun")

    def freeze_time(*args, **kwargs):
        pytest.skip("freezegun is not installed: the test freezes moto's in-process clock")

    stub.freeze_time = freeze_time
    sys.modules["freezegun"] = stub


def pytest_runtest_setup(item):
    reset = os.environ.get("EDGEKMS_CONFORMANCE_RESET")
    if reset:
        urllib.request.urlopen(urllib.request.Request(reset, method="POST"), timeout=60).read()
