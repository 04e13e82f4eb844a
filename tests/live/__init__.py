"""Tests of the live sensor: SNTP, capture, the end-to-end namespace run."""
