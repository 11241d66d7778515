"""Celery task counters, from Celery's own signals (sender and worker side)."""

from __future__ import annotations

from celery import signals

from . import metrics


@signals.before_task_publish.connect
def _sent(sender=None, **kwargs):
    metrics.task(str(sender), "sent")


@signals.task_success.connect
def _succeeded(sender=None, **kwargs):
    metrics.task(getattr(sender, "name", str(sender)), "succeeded")


@signals.task_failure.connect
def _failed(sender=None, **kwargs):
    metrics.task(getattr(sender, "name", str(sender)), "failed")


@signals.task_retry.connect
def _retried(sender=None, **kwargs):
    metrics.task(getattr(sender, "name", str(sender)), "retried")
