"""The simple repository API: pages built once as data (``pages``), rendered
as PEP 503 HTML or PEP 691 JSON (``render``)."""
