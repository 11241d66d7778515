"""Operations: readiness and liveness checks (``/+health/...``), Prometheus
metrics (``/+metrics``, multiprocess mode), request ids, per-request
metrics and access lines (middleware), JSON logs and Celery task counters.
The domain records its counters through ``ops.metrics``, so ``ops`` sits
below it: it never imports services, selectors or views of any app, nor
``client`` or ``importexport``; only the readiness checks read models
(``indexes``, ``mirror``), inside their functions.
"""
