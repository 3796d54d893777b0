"""Test helpers that stand apart from the library: independent checks of its output."""
