"""Kubernetes pods run as local processes (see ``tests.support.loopback`` for the whole picture)."""
