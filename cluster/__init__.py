"""Mazad on many hosts: network namespaces of this machine (`make cluster`, `make cluster-test`)."""
