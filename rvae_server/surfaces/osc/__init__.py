"""The OSC control surface: one address table, a UDP server on its own thread, feedback from a sender thread.

Modules: ``spec`` (ports, limits, argument specs, hooks), ``table`` (the address table and its documents),
``motion_table`` (its motion and shaping entries), ``output_table`` (note maps, bars for a Live clip), ``handlers``
(what each address does), ``packets`` (datagrams in and out), ``feedback`` (what is sent back and the sender
thread), ``planstream`` (the planned bars streamed to the Max device), ``clipsend`` (the last bars, for a Live clip),
``ratelimit``, ``server`` (the UDP server; :func:`~rvae_server.surfaces.osc.server.start_osc`).

The address table
    :data:`~rvae_server.surfaces.osc.table.ADDRESSES` (a tuple of :class:`~rvae_server.surfaces.osc.spec.Entry`:
    address, argument spec, doc, reply, handler) is the single source of the server's handlers, of ``docs/osc.md``
    (``python -m rvae_server.surfaces.osc --markdown``), of the check that the Max patch sends only addresses we
    handle (:func:`~rvae_server.surfaces.osc.table.handles`) and of the web page
    (:func:`~rvae_server.surfaces.osc.table.table_as_json`). :data:`~rvae_server.surfaces.osc.table.FEEDBACK` lists
    what the server sends back.

    Layer-scoped entries exist as ``/rvae/<verb>`` (layer 1) and ``/rvae/layer/N/<verb>`` (layer N, 1-based);
    global ones (tempo, transport, state, feedback) only as ``/rvae/<verb>``. Bundles are unpacked in order
    and their timetags ignored: every message applies on arrival (a timetag never stalls the server).

Threads
    The ``rvae-osc`` thread receives datagrams (:class:`pythonosc.osc_server.BlockingOSCUDPServer`, one at a
    time, in arrival order), validates and dispatches them; handlers only call the engine's control methods.
    Everything sent back — replies, errors, the current bar, state changes, training progress — goes through a
    bounded queue to the ``rvae-osc-feedback`` thread: engine listeners (called on the planner thread) only
    enqueue, and a full queue drops (counted) rather than blocks.

Feedback routing
    A reply (errors, warnings, ``/rvae/state``, ``/rvae/models``) goes to the message's sender (its source
    address and port) and to every feedback client on the sender's host (a Max patch sends from a random port
    with ``udpsend`` and listens with ``udpreceive`` on a port it registers with ``/rvae/feedback``).
    Broadcasts (bars, state changes, training) go to every feedback client: the configured ones and those
    registered with ``/rvae/feedback`` (at most :data:`~rvae_server.surfaces.osc.feedback.MAX_CLIENTS`).

Bad input never stops the music
    Wrong argument types or counts, NaN/inf, unknown addresses, invalid UTF-8, truncated, malformed or
    oversized datagrams each get ``/rvae/error <address> <what was wrong>`` and a log line; out-of-range
    numbers are clamped by the engine and reported as ``/rvae/warning <address> <note>``. Log lines and error
    replies are rate-limited. When the server listens beyond loopback, datagrams from hosts outside ``allow``
    (IP addresses or networks; loopback is always allowed) are dropped and logged (rate-limited).
"""
