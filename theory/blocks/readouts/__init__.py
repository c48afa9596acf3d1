"""Readout blocks: how a stored memory is read from the local field (one file per block)."""
