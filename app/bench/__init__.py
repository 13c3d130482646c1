"""Benchmarks and capacity figures: ``python -m app bench`` (see README, "Capacity").

Everything here exists for the bench only; nothing in the app imports it.

- :mod:`app.bench.runner` — the run, in order, and the report;
- :mod:`app.bench.dataset` — a fresh database seeded with the demo and a big synthetic load;
- :mod:`app.bench.bulk` — the big synthetic load, written in batches (a million attempts);
- :mod:`app.bench.screens` — server time per interaction through AppTest;
- :mod:`app.bench.dashboards` — each supervisor dashboard view, timed;
- :mod:`app.bench.floor_page` — the call screen's widgets and nothing else;
- :mod:`app.bench.load` — simulated trainees on Streamlit's websocket protocol
  (needs the ``bench`` extra: websockets);
- :mod:`app.bench.servers` — Streamlit servers, replicas and nginx on loopback ports;
- :mod:`app.bench.micro` — throughput figures from :mod:`app.bench.core_rates` (validate,
  grade), :mod:`app.bench.generator_rate` (generate) and :mod:`app.bench.audio_rates`
  (speech), and call start to audio;
- :mod:`app.bench.machine`, :mod:`app.bench.stats`, :mod:`app.bench.tuning`.
"""
