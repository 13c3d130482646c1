"""Benchmarks and capacity figures: ``python -m app bench`` (see README, "Capacity").

- :mod:`app.bench.runner` — the run, in order, and the report;
- :mod:`app.bench.dataset` — a fresh database seeded with the demo and a big synthetic load;
- :mod:`app.bench.screens` — server time per interaction through AppTest;
- :mod:`app.bench.floor_page` — the call screen's widgets and nothing else;
- :mod:`app.bench.load` — simulated trainees on Streamlit's websocket protocol;
- :mod:`app.bench.servers` — Streamlit servers, replicas and nginx on loopback ports;
- :mod:`app.bench.micro` — the other parts' own throughput helpers;
- :mod:`app.bench.machine`, :mod:`app.bench.stats`, :mod:`app.bench.tuning`.
"""
