"""The pure-Python records of the public API, one module per subject.

Import them from :mod:`agora_rtc` or :mod:`agora_rtc.agora_base` (the facade
that re-exports them all, with the original SDK's module name); the modules
here are where each is defined:

* ``enums``: the enums (original names and values, then native-SDK ones);
* ``configs``: service, connection, publishing, APM, video encoder and encryption configuration;
* ``frames``: media data records (frames to send, frame descriptions);
* ``reports``: connection info and statistics snapshots delivered to observers;
* ``transport_url``: the transport URL (``local://``, ``janus://``, ``janus+ws://``);
* ``sample_rates``: the one table of PCM sample rates;
* ``checks``: the one set of argument checks (call arguments and configuration fields).

Dependencies point one way: ``checks`` and ``sample_rates`` depend on nothing,
``enums`` on nothing, ``transport_url`` on ``checks``, ``frames`` and ``reports``
on ``enums``, ``configs`` on all of them. Nothing here imports the engine.
"""
