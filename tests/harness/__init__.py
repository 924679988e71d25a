"""Test harness: real servers on loopback, the fault proxy, async helpers, signed-in clients."""
