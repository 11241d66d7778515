from datetime import timedelta

import pytest
from django.utils import timezone

from mirror.locks import lease_acquire, lease_held, lease_release, lease_wait
from mirror.models import Lease

pytestmark = pytest.mark.django_db


def test_one_holder_at_a_time_and_release():
    token = lease_acquire("k")
    assert token and lease_held("k")
    assert lease_acquire("k") is None
    lease_release("k", "not-the-owner")
    assert lease_held("k")
    lease_release("k", token)
    assert not lease_held("k") and lease_wait("k", timeout=0.1)
    assert lease_acquire("k") is not None


def test_expired_lease_is_taken_over():
    token = lease_acquire("k", ttl=60)
    Lease.objects.filter(key="k").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not lease_held("k")
    other = lease_acquire("k")
    assert other and other != token
    lease_release("k", token)  # the old holder cannot release the new lease
    assert lease_held("k")


def test_wait_times_out_while_held():
    lease_acquire("busy", ttl=60)
    assert lease_wait("busy", timeout=0.2) is False


def test_cleanup_deletes_only_long_expired_leases():
    from mirror.locks import lease_cleanup
    from mirror.tasks import mirror_leases_cleanup

    lease_acquire("live")
    lease_acquire("recent")
    lease_acquire("dead")
    Lease.objects.filter(key="recent").update(expires_at=timezone.now() - timedelta(minutes=5))
    Lease.objects.filter(key="dead").update(expires_at=timezone.now() - timedelta(hours=2))
    assert mirror_leases_cleanup.delay().get() == 1
    assert set(Lease.objects.values_list("key", flat=True)) == {"live", "recent"}
    assert lease_cleanup() == 0
